// MySQL/MariaDB client wrapper: connection options, session preparation and error classification.
#include "observer/mysql_client.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstdlib>
#include <mutex>

namespace observer {
namespace {

constexpr unsigned kMySqlStatementTimeout = 3024;    // ER_QUERY_TIMEOUT (MySQL 5.7.8+)
constexpr unsigned kMariaDbStatementTimeout = 1969;  // ER_STATEMENT_TIMEOUT (MariaDB 10.1+)

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

ServerFlavor FlavorFromVersion(std::string_view version) {
  if (version.empty()) return ServerFlavor::kUnknown;
  if (version.find("MariaDB") != std::string_view::npos || version.find("mariadb") != std::string_view::npos) {
    return ServerFlavor::kMariaDB;
  }
  return ServerFlavor::kMySQL;
}

const char* FlavorName(ServerFlavor flavor) {
  switch (flavor) {
    case ServerFlavor::kMySQL: return "mysql";
    case ServerFlavor::kMariaDB: return "mariadb";
    case ServerFlavor::kUnknown: return "unknown";
  }
  return "unknown";
}

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
    case ServerFlavor::kUnknown: return std::string(select_sql);
  }
  return std::string(select_sql);
}

bool DbStatus::IsTimeout() const {
  if (ok) return false;
  return code == kMySqlStatementTimeout || code == kMariaDbStatementTimeout ||
         (code == CR_SERVER_LOST && message.find("timeout") != std::string::npos);
}

bool DbStatus::IsConnectionLost() const {
  if (ok) return false;
  return code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR || code == CR_SERVER_GONE_ERROR ||
         code == CR_SERVER_LOST || code == CR_COMMANDS_OUT_OF_SYNC || code == 2055 /* lost at reading */ ||
         code == ER_CONNECTION_KILLED || code == ER_SERVER_SHUTDOWN;
}

MysqlClient::MysqlClient(DbOptions options) : options_(std::move(options)) { InitLibraryOnce(); }

MysqlClient::~MysqlClient() { Close(); }

void MysqlClient::Close() {
  if (handle_ != nullptr) {
    mysql_close(handle_);
    handle_ = nullptr;
  }
}

DbStatus MysqlClient::LastError() {
  if (handle_ == nullptr) return DbStatus::Failure(CR_SERVER_GONE_ERROR, "not connected");
  DbStatus status = DbStatus::Failure(mysql_errno(handle_), mysql_error(handle_));
  if (status.IsConnectionLost()) Close();
  return status;
}

DbStatus MysqlClient::Connect() {
  Close();
  handle_ = mysql_init(nullptr);
  if (handle_ == nullptr) return DbStatus::Failure(CR_OUT_OF_MEMORY, "mysql_init failed");
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
    DbStatus status = DbStatus::Failure(mysql_errno(handle_), mysql_error(handle_));
    Close();
    return status;
  }
  DbStatus prepared = PrepareSession();
  if (!prepared.ok) Close();
  return prepared;
}

DbStatus MysqlClient::PrepareSession() {
  QueryResult version;
  if (DbStatus s = Query("SELECT VERSION()", &version); !s.ok) return s;
  server_.version = version.rows.empty() || !version.rows[0][0] ? "" : *version.rows[0][0];
  server_.flavor = FlavorFromVersion(server_.version);
  std::vector<std::string> statements = {
      "SET SESSION time_zone = '+00:00'",
      "SET SESSION lock_wait_timeout = " + std::to_string(options_.lock_wait_timeout_seconds),
      "SET SESSION innodb_lock_wait_timeout = " + std::to_string(options_.lock_wait_timeout_seconds),
  };
  if (std::string timeout = StatementTimeoutSql(server_.flavor, options_.statement_timeout_ms); !timeout.empty()) {
    statements.push_back(timeout);
  }
  if (options_.read_only) statements.push_back("SET SESSION TRANSACTION READ ONLY");
  for (const std::string& sql : statements) {
    if (DbStatus s = Execute(sql); !s.ok) {
      s.message = "preparing session (" + sql + "): " + s.message;
      return s;
    }
  }
  return DbStatus::Ok();
}

DbStatus MysqlClient::Ping() {
  if (handle_ == nullptr) return DbStatus::Failure(CR_SERVER_GONE_ERROR, "not connected");
  if (mysql_ping(handle_) != 0) return LastError();
  return DbStatus::Ok();
}

DbStatus MysqlClient::Query(std::string_view sql, QueryResult* out) {
  if (handle_ == nullptr) return DbStatus::Failure(CR_SERVER_GONE_ERROR, "not connected");
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

DbStatus MysqlClient::QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row) {
  if (handle_ == nullptr) return DbStatus::Failure(CR_SERVER_GONE_ERROR, "not connected");
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return LastError();
  MYSQL_RES* result = mysql_use_result(handle_);
  if (result == nullptr) {
    if (mysql_field_count(handle_) != 0) return LastError();
    return DbStatus::Ok();
  }
  const unsigned field_count = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    on_row(DbRowView(row, mysql_fetch_lengths(result), field_count));
  }
  // A NULL row ends the result or reports an error mid-stream (a timeout, a lost connection).
  const bool failed = mysql_errno(handle_) != 0;
  DbStatus status = failed ? DbStatus::Failure(mysql_errno(handle_), mysql_error(handle_)) : DbStatus::Ok();
  mysql_free_result(result);
  if (failed && status.IsConnectionLost()) Close();
  return status;
}

DbStatus MysqlClient::Execute(std::string_view sql, uint64_t* affected_rows) {
  if (handle_ == nullptr) return DbStatus::Failure(CR_SERVER_GONE_ERROR, "not connected");
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return LastError();
  // Drain any result set so the connection stays usable.
  if (MYSQL_RES* result = mysql_store_result(handle_); result != nullptr) mysql_free_result(result);
  if (affected_rows != nullptr) *affected_rows = mysql_affected_rows(handle_);
  return DbStatus::Ok();
}

std::string MysqlClient::Quote(std::string_view value) const {
  std::string escaped(value.size() * 2 + 1, '\0');
  unsigned long length = handle_ != nullptr
                             ? mysql_real_escape_string(handle_, escaped.data(), value.data(), value.size())
                             : mysql_escape_string(escaped.data(), value.data(), value.size());
  escaped.resize(length);
  return "'" + escaped + "'";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string HexLiteral(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char c : bytes) out += {kHex[c >> 4], kHex[c & 15]};
  return out + "'";
}

int64_t DbInt(std::optional<std::string_view> value) {
  int64_t out = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), out);
  return out;
}

double DbDouble(std::optional<std::string_view> value) {
  return value ? std::strtod(std::string(*value).c_str(), nullptr) : 0.0;
}

std::string DbString(std::optional<std::string_view> value) { return value ? std::string(*value) : std::string(); }

}  // namespace observer
