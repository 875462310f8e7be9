// MySQL/MariaDB backend of DbClient (MariaDB Connector/C): session preparation, error classification, streaming
// and LOAD DATA LOCAL INFILE.
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstring>
#include <mutex>

#include "db/backends.h"

namespace observer {
namespace {

constexpr unsigned kMySqlStatementTimeout = 3024;    // ER_QUERY_TIMEOUT (MySQL 5.7.8+)
constexpr unsigned kMariaDbStatementTimeout = 1969;  // ER_STATEMENT_TIMEOUT (MariaDB 10.1+)
constexpr unsigned kReadOnlyTransaction = 1792;      // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

DbError ClassifyMysqlError(unsigned code, std::string_view message) {
  switch (code) {
    case 0: return DbError::kNone;
    case kMySqlStatementTimeout:
    case kMariaDbStatementTimeout: return DbError::kTimeout;
    case CR_SERVER_LOST:
      return message.find("timeout") != std::string_view::npos ? DbError::kClientTimeout : DbError::kConnectionLost;
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_COMMANDS_OUT_OF_SYNC:
    case 2055:  // lost at reading
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN: return DbError::kConnectionLost;
    case ER_LOCK_WAIT_TIMEOUT: return DbError::kLockTimeout;
    case ER_USER_LIMIT_REACHED:
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS: return DbError::kTooManyConnections;
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR: return DbError::kPermissionDenied;
    case ER_NO_SUCH_TABLE: return DbError::kNoSuchTable;
    case ER_BAD_FIELD_ERROR: return DbError::kNoSuchColumn;
    case ER_BAD_DB_ERROR: return DbError::kNoSuchDatabase;
    case kReadOnlyTransaction:
    case ER_OPTION_PREVENTS_STATEMENT: return DbError::kReadOnly;
    default: return DbError::kOther;
  }
}

namespace {

DbStatus Failure(unsigned code, std::string message) {
  const DbError error = ClassifyMysqlError(code, message);
  return DbStatus::Failure(error, std::move(message), code);
}

// Feeds LOAD DATA LOCAL INFILE from LoadTsv's callback; the file name in the statement is ignored.
struct InfileSource {
  const std::function<bool(std::string*)>* next_block;
  std::string block;
  size_t offset = 0;
  bool ended = false;
};

int InfileInit(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return 0;
}

int InfileRead(void* ptr, char* buf, unsigned int buf_len) {
  auto* source = static_cast<InfileSource*>(ptr);
  while (source->offset >= source->block.size()) {
    if (source->ended) return 0;
    source->block.clear();
    source->offset = 0;
    source->ended = !(*source->next_block)(&source->block);
  }
  const size_t n = std::min<size_t>(buf_len, source->block.size() - source->offset);
  std::memcpy(buf, source->block.data() + source->offset, n);
  source->offset += n;
  return static_cast<int>(n);
}

void InfileEnd(void*) {}

int InfileError(void*, char* error_msg, unsigned int error_msg_len) {
  std::snprintf(error_msg, error_msg_len, "local infile source failed");
  return 2000;  // CR_UNKNOWN_ERROR
}

class MysqlBackend : public DbBackend {
 public:
  explicit MysqlBackend(const DbOptions& options) : options_(options) { InitLibraryOnce(); }
  ~MysqlBackend() override { Close(); }

  void Close() override {
    if (handle_ != nullptr) {
      mysql_close(handle_);
      handle_ = nullptr;
    }
  }
  bool connected() const override { return handle_ != nullptr; }
  const ServerInfo& server() const override { return server_; }

  DbStatus Connect() override {
    Close();
    handle_ = mysql_init(nullptr);
    if (handle_ == nullptr) return DbStatus::Failure(DbError::kOther, "mysql_init failed", CR_OUT_OF_MEMORY);
    unsigned connect_timeout = static_cast<unsigned>(options_.connect_timeout_seconds);
    unsigned read_timeout = static_cast<unsigned>(options_.read_timeout_seconds);
    unsigned write_timeout = static_cast<unsigned>(options_.write_timeout_seconds);
    my_bool reconnect = 0;  // reconnects are explicit so the session is always prepared again
    mysql_options(handle_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(handle_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(handle_, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
    mysql_options(handle_, MYSQL_OPT_RECONNECT, &reconnect);
    mysql_options(handle_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    unsigned local_infile = options_.allow_local_infile ? 1 : 0;
    mysql_options(handle_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    const char* database = options_.database.empty() ? nullptr : options_.database.c_str();
    if (mysql_real_connect(handle_, options_.host.c_str(), options_.user.c_str(), options_.password.c_str(), database,
                           static_cast<unsigned>(options_.port), nullptr, 0) == nullptr) {
      DbStatus status = Failure(mysql_errno(handle_), mysql_error(handle_));
      if (status.error == DbError::kOther) status.error = DbError::kConnectionLost;  // e.g. access denied at login
      Close();
      return status;
    }
    DbStatus prepared = PrepareSession();
    if (!prepared.ok) Close();
    return prepared;
  }

  DbStatus Ping() override {
    if (handle_ == nullptr) return NotConnected();
    if (mysql_ping(handle_) != 0) return LastError();
    return DbStatus::Ok();
  }

  DbStatus Query(std::string_view sql, QueryResult* out) override {
    if (handle_ == nullptr) return NotConnected();
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return LastError();
    MYSQL_RES* result = mysql_store_result(handle_);
    if (result == nullptr) {
      if (mysql_field_count(handle_) != 0) return LastError();
      if (out != nullptr) *out = {};
      return DbStatus::Ok();
    }
    const unsigned field_count = mysql_num_fields(result);
    if (out != nullptr) {
      out->columns.clear();
      out->rows.clear();
      MYSQL_FIELD* fields = mysql_fetch_fields(result);
      for (unsigned i = 0; i < field_count; ++i) out->columns.emplace_back(fields[i].name);
      out->rows.reserve(mysql_num_rows(result));
      while (MYSQL_ROW row = mysql_fetch_row(result)) {
        unsigned long* lengths = mysql_fetch_lengths(result);
        DbRow values(field_count);
        for (unsigned i = 0; i < field_count; ++i) {
          if (row[i] != nullptr) values[i] = std::string(row[i], lengths[i]);
        }
        out->rows.push_back(std::move(values));
      }
    }
    mysql_free_result(result);
    return DbStatus::Ok();
  }

  DbStatus QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row) override {
    if (handle_ == nullptr) return NotConnected();
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return LastError();
    MYSQL_RES* result = mysql_use_result(handle_);
    if (result == nullptr) {
      if (mysql_field_count(handle_) != 0) return LastError();
      return DbStatus::Ok();
    }
    const unsigned field_count = mysql_num_fields(result);
    std::vector<std::optional<std::string_view>> cells(field_count);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      const unsigned long* lengths = mysql_fetch_lengths(result);
      for (unsigned i = 0; i < field_count; ++i) {
        cells[i] =
            row[i] == nullptr ? std::nullopt : std::optional<std::string_view>(std::string_view(row[i], lengths[i]));
      }
      on_row(DbRowView(cells.data(), field_count));
    }
    // A NULL row ends the result or reports an error mid-stream (a timeout, a lost connection).
    const bool failed = mysql_errno(handle_) != 0;
    DbStatus status = failed ? Failure(mysql_errno(handle_), mysql_error(handle_)) : DbStatus::Ok();
    mysql_free_result(result);
    if (failed && status.IsConnectionLost()) Close();
    return status;
  }

  DbStatus Execute(std::string_view sql, uint64_t* affected_rows) override {
    if (handle_ == nullptr) return NotConnected();
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return LastError();
    // Drain any result set so the connection stays usable.
    if (MYSQL_RES* result = mysql_store_result(handle_); result != nullptr) mysql_free_result(result);
    if (affected_rows != nullptr) *affected_rows = mysql_affected_rows(handle_);
    return DbStatus::Ok();
  }

  DbStatus QueryWithTimeout(std::string_view sql, int timeout_ms, QueryResult* out) override {
    return Query(WithStatementTimeout(server_.flavor, sql, timeout_ms), out);
  }

  DbStatus LoadTsv(std::string_view table, std::string_view columns,
                   const std::function<bool(std::string*)>& next_block, uint64_t* rows) override {
    if (handle_ == nullptr) return NotConnected();
    InfileSource source{&next_block, {}, 0, false};
    mysql_set_local_infile_handler(handle_, InfileInit, InfileRead, InfileEnd, InfileError, &source);
    const std::string sql = "LOAD DATA LOCAL INFILE 'newapi-observer.tsv' INTO TABLE " + std::string(table) +
                            " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                            "LINES TERMINATED BY '\\n' (" +
                            std::string(columns) + ")";
    DbStatus status = Execute(sql, rows);
    if (handle_ != nullptr) mysql_set_local_infile_default(handle_);
    return status;
  }

  std::string Quote(std::string_view value) const override {
    std::string escaped(value.size() * 2 + 1, '\0');
    unsigned long length = handle_ != nullptr
                               ? mysql_real_escape_string(handle_, escaped.data(), value.data(), value.size())
                               : mysql_escape_string(escaped.data(), value.data(), value.size());
    escaped.resize(length);
    return "'" + escaped + "'";
  }

 private:
  static DbStatus NotConnected() {
    return DbStatus::Failure(DbError::kConnectionLost, "not connected", CR_SERVER_GONE_ERROR);
  }

  DbStatus LastError() {
    if (handle_ == nullptr) return NotConnected();
    DbStatus status = Failure(mysql_errno(handle_), mysql_error(handle_));
    if (status.IsConnectionLost()) Close();
    return status;
  }

  DbStatus PrepareSession() {
    QueryResult version;
    if (DbStatus s = Query("SELECT VERSION()", &version); !s.ok) return s;
    server_.version = version.rows.empty() || !version.rows[0][0] ? "" : *version.rows[0][0];
    server_.flavor = FlavorFromVersion(server_.version);
    std::vector<std::string> statements = {
        // Double quotes quote identifiers, as in standard SQL and PostgreSQL: one text of each query for both.
        "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES')",
        "SET SESSION time_zone = '+00:00'",
        "SET SESSION lock_wait_timeout = " + std::to_string(options_.lock_wait_timeout_seconds),
        "SET SESSION innodb_lock_wait_timeout = " + std::to_string(options_.lock_wait_timeout_seconds),
    };
    if (std::string timeout = StatementTimeoutSql(server_.flavor, options_.statement_timeout_ms); !timeout.empty()) {
      statements.push_back(timeout);
    }
    if (options_.read_only) statements.push_back("SET SESSION TRANSACTION READ ONLY");
    for (const std::string& sql : statements) {
      if (DbStatus s = Execute(sql, nullptr); !s.ok) {
        s.message = "preparing session (" + sql + "): " + s.message;
        return s;
      }
    }
    return DbStatus::Ok();
  }

  DbOptions options_;
  MYSQL* handle_ = nullptr;
  ServerInfo server_;
};

}  // namespace

std::string StatementTimeoutSql(ServerFlavor flavor, int timeout_ms) {
  if (timeout_ms <= 0) return "";
  switch (flavor) {
    // MySQL: milliseconds, applies to read-only SELECT statements.
    case ServerFlavor::kMySQL: return "SET SESSION MAX_EXECUTION_TIME = " + std::to_string(timeout_ms);
    // MariaDB: seconds (fractional allowed), applies to every statement.
    case ServerFlavor::kMariaDB: {
      const int whole = timeout_ms / 1000;
      const int fraction = timeout_ms % 1000;
      std::string fraction_text = std::to_string(fraction);
      fraction_text.insert(0, 3 - fraction_text.size(), '0');
      return "SET SESSION max_statement_time = " + std::to_string(whole) + "." + fraction_text;
    }
    case ServerFlavor::kPostgreSQL:
    case ServerFlavor::kUnknown: return "";
  }
  return "";
}

std::string WithStatementTimeout(ServerFlavor flavor, std::string_view select_sql, int timeout_ms) {
  switch (flavor) {
    case ServerFlavor::kMariaDB: {
      std::string set = StatementTimeoutSql(flavor, timeout_ms);  // "SET SESSION max_statement_time = N"
      return "SET STATEMENT " + set.substr(set.find("max_statement_time")) + " FOR " + std::string(select_sql);
    }
    case ServerFlavor::kMySQL:
      if (select_sql.rfind("SELECT ", 0) == 0) {
        return "SELECT /*+ MAX_EXECUTION_TIME(" + std::to_string(timeout_ms) + ") */ " +
               std::string(select_sql.substr(7));
      }
      return std::string(select_sql);
    case ServerFlavor::kPostgreSQL:
    case ServerFlavor::kUnknown: return std::string(select_sql);
  }
  return std::string(select_sql);
}

std::unique_ptr<DbBackend> MakeMysqlBackend(const DbOptions& options) {
  return std::make_unique<MysqlBackend>(options);
}

}  // namespace observer
