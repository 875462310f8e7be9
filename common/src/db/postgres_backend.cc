// PostgreSQL backend of DbClient (libpq): session preparation, SQLSTATE classification, a client read deadline
// around every wait, row streaming in single-row mode, booleans read as 1/0, and COPY FROM STDIN.
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <cstring>

#include "db/backends.h"

namespace observer {
namespace {

constexpr unsigned kBoolOid = 16;

}  // namespace

DbError ClassifyPostgresError(std::string_view sqlstate) {
  if (sqlstate.empty()) return DbError::kOther;
  if (sqlstate == "57014") return DbError::kTimeout;  // query_canceled: statement_timeout
  if (sqlstate == "55P03") return DbError::kLockTimeout;
  if (sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return DbError::kConnectionLost;  // connection exceptions, admin/crash shutdown, cannot connect now
  }
  if (sqlstate == "53300") return DbError::kTooManyConnections;
  if (sqlstate == "42501") return DbError::kPermissionDenied;
  if (sqlstate == "42P01") return DbError::kNoSuchTable;
  if (sqlstate == "42703") return DbError::kNoSuchColumn;
  if (sqlstate == "3F000" || sqlstate == "3D000") return DbError::kNoSuchDatabase;  // schema, database
  if (sqlstate == "25006") return DbError::kReadOnly;
  return DbError::kOther;
}

namespace {

// The first line of a libpq message (a query error goes on with the statement and a caret under the failing part),
// without the "ERROR:  " prefix.
std::string Trimmed(const char* message) {
  std::string text = message == nullptr ? "" : message;
  text = text.substr(0, text.find('\n'));
  if (text.rfind("ERROR:  ", 0) == 0) text.erase(0, 8);
  if (text.rfind("FATAL:  ", 0) == 0) text.erase(0, 8);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

class PostgresBackend : public DbBackend {
 public:
  explicit PostgresBackend(const DbOptions& options) : options_(options) {}
  ~PostgresBackend() override { Close(); }

  void Close() override {
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
  }
  bool connected() const override { return conn_ != nullptr; }
  const ServerInfo& server() const override { return server_; }

  DbStatus Connect() override {
    Close();
    const std::string port = std::to_string(options_.port);
    const std::string connect_timeout = std::to_string(std::max(2, options_.connect_timeout_seconds));
    const char* keys[] = {"host",
                          "port",
                          "dbname",
                          "user",
                          "password",
                          "connect_timeout",
                          "application_name",
                          "client_encoding",
                          "keepalives",
                          "keepalives_idle",
                          nullptr};
    const char* values[] = {options_.host.c_str(),
                            port.c_str(),
                            options_.database.c_str(),
                            options_.user.c_str(),
                            options_.password.c_str(),
                            connect_timeout.c_str(),
                            "newapi-observer",
                            "UTF8",
                            "1",
                            "30",
                            nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    if (conn_ == nullptr) return DbStatus::Failure(DbError::kConnectionLost, "out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = Trimmed(PQerrorMessage(conn_));
      DbError error = DbError::kConnectionLost;
      if (message.find("too many connections") != std::string::npos) error = DbError::kTooManyConnections;
      Close();
      return DbStatus::Failure(error, message);
    }
    DbStatus prepared = PrepareSession();
    if (!prepared.ok) Close();
    return prepared;
  }

  DbStatus Ping() override { return Execute("SELECT 1", nullptr); }

  DbStatus Query(std::string_view sql, QueryResult* out) override {
    if (out != nullptr) *out = {};
    return Run(sql, false, [&](PGresult* result) {
      if (out == nullptr || PQresultStatus(result) != PGRES_TUPLES_OK) return;
      const int fields = PQnfields(result), rows = PQntuples(result);
      for (int i = 0; i < fields; ++i) out->columns.emplace_back(PQfname(result, i));
      out->rows.reserve(static_cast<size_t>(rows));
      for (int r = 0; r < rows; ++r) {
        DbRow values(static_cast<size_t>(fields));
        for (int i = 0; i < fields; ++i) {
          if (auto cell = Cell(result, r, i)) values[static_cast<size_t>(i)] = std::string(*cell);
        }
        out->rows.push_back(std::move(values));
      }
    });
  }

  DbStatus QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row) override {
    std::vector<std::optional<std::string_view>> cells;
    return Run(sql, true, [&](PGresult* result) {
      const int fields = PQnfields(result);
      cells.resize(static_cast<size_t>(fields));
      for (int r = 0; r < PQntuples(result); ++r) {
        for (int i = 0; i < fields; ++i) cells[static_cast<size_t>(i)] = Cell(result, r, i);
        on_row(DbRowView(cells.data(), static_cast<unsigned>(fields)));
      }
    });
  }

  DbStatus Execute(std::string_view sql, uint64_t* affected_rows) override {
    if (affected_rows != nullptr) *affected_rows = 0;
    return Run(sql, false, [&](PGresult* result) {
      if (affected_rows == nullptr) return;
      const char* tuples = PQcmdTuples(result);
      if (tuples != nullptr && *tuples != '\0') *affected_rows += std::strtoull(tuples, nullptr, 10);
    });
  }

  DbStatus QueryWithTimeout(std::string_view sql, int timeout_ms, QueryResult* out) override {
    if (DbStatus s = Execute("SET statement_timeout = " + std::to_string(timeout_ms), nullptr); !s.ok) return s;
    DbStatus status = Query(sql, out);
    if (connected()) {
      DbStatus reset = Execute("SET statement_timeout = " + std::to_string(options_.statement_timeout_ms), nullptr);
      if (!reset.ok && status.ok) return reset;
    }
    return status;
  }

  DbStatus LoadTsv(std::string_view table, std::string_view columns,
                   const std::function<bool(std::string*)>& next_block, uint64_t* rows) override {
    if (conn_ == nullptr) return NotConnected();
    const std::string sql = "COPY " + std::string(table) + " (" + std::string(columns) + ") FROM STDIN";
    PGresult* start = PQexec(conn_, sql.c_str());
    if (PQresultStatus(start) != PGRES_COPY_IN) {
      DbStatus status = ResultError(start);
      PQclear(start);
      return status;
    }
    PQclear(start);
    std::string block;
    bool more = true;
    while (more) {
      block.clear();
      more = next_block(&block);
      if (!block.empty() && PQputCopyData(conn_, block.data(), static_cast<int>(block.size())) != 1) break;
    }
    PQputCopyEnd(conn_, more ? "the data source failed" : nullptr);
    DbStatus status = DbStatus::Ok();
    while (PGresult* result = PQgetResult(conn_)) {
      if (PQresultStatus(result) != PGRES_COMMAND_OK && status.ok) status = ResultError(result);
      if (status.ok && rows != nullptr) *rows = std::strtoull(PQcmdTuples(result), nullptr, 10);
      PQclear(result);
    }
    if (PQstatus(conn_) == CONNECTION_BAD) Close();
    return status;
  }

  std::string Quote(std::string_view value) const override {
    // standard_conforming_strings is on in every session (PrepareSession): only quotes need doubling.
    std::string out = "'";
    for (char c : value) {
      if (c == '\0') continue;
      if (c == '\'') out.push_back('\'');
      out.push_back(c);
    }
    return out + "'";
  }

 private:
  static DbStatus NotConnected() { return DbStatus::Failure(DbError::kConnectionLost, "not connected"); }

  // A cell as text; booleans as "1" / "0" like MySQL's tinyint(1).
  static std::optional<std::string_view> Cell(PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) return std::nullopt;
    const char* value = PQgetvalue(result, row, column);
    if (PQftype(result, column) == kBoolOid) return std::string_view(value[0] == 't' ? "1" : "0");
    return std::string_view(value, static_cast<size_t>(PQgetlength(result, row, column)));
  }

  DbStatus ResultError(PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = Trimmed(PQresultErrorMessage(result));
    if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
    DbError error = ClassifyPostgresError(state == nullptr ? "" : state);
    if (PQstatus(conn_) == CONNECTION_BAD) error = DbError::kConnectionLost;
    return DbStatus::Failure(error, message, 0, state == nullptr ? "" : state);
  }

  // Waits for the next result within the client read timeout; nullptr with *status set when none came.
  PGresult* NextResult(std::chrono::steady_clock::time_point deadline, DbStatus* status) {
    while (PQisBusy(conn_)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        // The server stopped answering: cancel what it may still be running and give the connection up.
        if (PGcancel* cancel = PQgetCancel(conn_)) {
          char buffer[256];
          PQcancel(cancel, buffer, sizeof buffer);
          PQfreeCancel(cancel);
        }
        *status = DbStatus::Failure(DbError::kClientTimeout, "no answer within the read timeout (" +
                                                                 std::to_string(options_.read_timeout_seconds) + " s)");
        return nullptr;
      }
      pollfd fd{PQsocket(conn_), POLLIN, 0};
      const int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      if (ready < 0 && errno != EINTR) {
        *status = DbStatus::Failure(DbError::kConnectionLost, std::strerror(errno));
        return nullptr;
      }
      if (ready > 0 && PQconsumeInput(conn_) == 0) {
        *status = DbStatus::Failure(DbError::kConnectionLost, Trimmed(PQerrorMessage(conn_)));
        return nullptr;
      }
    }
    return PQgetResult(conn_);
  }

  // Sends one statement (the extended protocol: never several statements in one text) and hands each result with
  // rows, or the command's result, to on_result.
  DbStatus Run(std::string_view sql, bool single_rows, const std::function<void(PGresult*)>& on_result) {
    if (conn_ == nullptr) return NotConnected();
    const std::string text(sql);
    if (PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      DbStatus status = DbStatus::Failure(DbError::kConnectionLost, Trimmed(PQerrorMessage(conn_)));
      Close();
      return status;
    }
    if (single_rows) PQsetSingleRowMode(conn_);
    const auto timeout = std::chrono::seconds(options_.read_timeout_seconds);
    DbStatus status = DbStatus::Ok();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      DbStatus wait = DbStatus::Ok();
      PGresult* result = NextResult(deadline, &wait);
      if (result == nullptr) {
        if (!wait.ok) {
          Close();
          return wait;
        }
        break;
      }
      switch (PQresultStatus(result)) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          if (status.ok) on_result(result);
          break;
        case PGRES_EMPTY_QUERY: break;
        default:
          if (status.ok) status = ResultError(result);
      }
      PQclear(result);
      deadline = std::chrono::steady_clock::now() + timeout;  // a deadline between answers, as MySQL's read timeout
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
      if (status.ok) status = DbStatus::Failure(DbError::kConnectionLost, Trimmed(PQerrorMessage(conn_)));
      Close();
    }
    return status;
  }

  DbStatus PrepareSession() {
    QueryResult version;
    if (DbStatus s = Query("SHOW server_version", &version); !s.ok) return s;
    server_.version = version.rows.empty() || !version.rows[0][0] ? "" : *version.rows[0][0];
    server_.flavor = ServerFlavor::kPostgreSQL;
    std::vector<std::string> statements = {
        "SET standard_conforming_strings = on",
        "SET TIME ZONE 'UTC'",
        "SET statement_timeout = " + std::to_string(options_.statement_timeout_ms),
        "SET lock_timeout = '" + std::to_string(options_.lock_wait_timeout_seconds) + "s'",
        // A transaction left open would hold back VACUUM and new-api's own ALTERs.
        "SET idle_in_transaction_session_timeout = '60s'",
    };
    if (options_.read_only) statements.push_back("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    for (const std::string& sql : statements) {
      if (DbStatus s = Execute(sql, nullptr); !s.ok) {
        s.message = "preparing session (" + sql + "): " + s.message;
        return s;
      }
    }
    return DbStatus::Ok();
  }

  DbOptions options_;
  PGconn* conn_ = nullptr;
  ServerInfo server_;
};

}  // namespace

std::unique_ptr<DbBackend> MakePostgresBackend(const DbOptions& options) {
  return std::make_unique<PostgresBackend>(options);
}

}  // namespace observer
