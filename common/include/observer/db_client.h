// A connection to new-api's database, MySQL/MariaDB or PostgreSQL, with client timeouts, a prepared session
// (server-side statement timeout, lock wait timeout, UTC, optional read-only) and error results instead of exceptions.
// Which engine it talks to is known only here and in dialect.h: callers build SQL with the connection's Dialect.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observer/dialect.h"

namespace observer {

struct DbOptions {
  DbEngine engine = DbEngine::kMySQL;
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  std::string user;
  std::string password;
  int connect_timeout_seconds = 3;
  int read_timeout_seconds = 10;  // client side: a dead server never hangs a thread longer than this
  int write_timeout_seconds = 10;
  int statement_timeout_ms =
      5000;  // server side (MAX_EXECUTION_TIME / max_statement_time / statement_timeout); 0 = none
  int lock_wait_timeout_seconds = 2;
  bool read_only = false;           // every transaction of the session is read-only
  bool allow_local_infile = false;  // MySQL: LOAD DATA LOCAL INFILE (the simulator's bulk load)
};

// The engines' default ports.
int DefaultPort(DbEngine engine);
// Parses "mysql" / "postgres" (also "postgresql", "mariadb"); false when unknown.
bool ParseDbEngine(std::string_view text, DbEngine* out);

// Reads new-api's own DSN forms (SQL_DSN / LOG_SQL_DSN) into engine, host, port, database, user and password:
//   postgresql://user:pass@host:port/db?sslmode=disable   (also postgres://; percent-encoded parts)
//   user:pass@tcp(host:port)/db?charset=utf8mb4&parseTime=true   (go-sql-driver/mysql)
// Returns "" or what is wrong, never echoing the password.
std::string ParseDsn(std::string_view dsn, DbOptions* out);

enum class ServerFlavor { kUnknown, kMySQL, kMariaDB, kPostgreSQL };

struct ServerInfo {
  ServerFlavor flavor = ServerFlavor::kUnknown;
  std::string version;  // as the server reports it
};

// Parses SELECT VERSION() output ("10.11.19-MariaDB-0+deb12u1", "8.0.36") into a MySQL flavour.
ServerFlavor FlavorFromVersion(std::string_view version);
const char* FlavorName(ServerFlavor flavor);
// MySQL/MariaDB: the statement that sets the server-side statement timeout ("" when none is possible).
std::string StatementTimeoutSql(ServerFlavor flavor, int timeout_ms);
// MySQL/MariaDB: the statement with its own server-side timeout (MariaDB: SET STATEMENT max_statement_time=... FOR;
// MySQL: a MAX_EXECUTION_TIME hint on the SELECT).
std::string WithStatementTimeout(ServerFlavor flavor, std::string_view select_sql, int timeout_ms);

// What went wrong, the same on both engines.
enum class DbError {
  kNone,
  kTimeout,             // the server's statement timeout
  kClientTimeout,       // no answer within the client read timeout: the connection is closed
  kLockTimeout,         // waited too long for a lock
  kConnectionLost,      // connect failed or the connection is gone: reconnect before the next query
  kTooManyConnections,  // the account's or the server's connection limit
  kPermissionDenied,    // a table, column or schema the account may not use
  kNoSuchTable,
  kNoSuchColumn,
  kNoSuchDatabase,  // the database (MySQL) or schema (PostgreSQL) does not exist
  kReadOnly,        // a write in a read-only session or on a replica
  kOther,
};

struct DbStatus {
  bool ok = true;
  unsigned code = 0;     // MySQL error number (0 on PostgreSQL)
  std::string sqlstate;  // PostgreSQL SQLSTATE ("" on MySQL)
  DbError error = DbError::kNone;
  std::string message;

  static DbStatus Ok() { return {}; }
  static DbStatus Failure(DbError error, std::string message, unsigned code = 0, std::string sqlstate = "") {
    return {false, code, std::move(sqlstate), error, std::move(message)};
  }
  // The server's statement timeout or the client's read timeout.
  bool IsTimeout() const { return error == DbError::kTimeout || error == DbError::kClientTimeout; }
  // The connection is gone: reconnect before the next query.
  bool IsConnectionLost() const { return error == DbError::kConnectionLost || error == DbError::kClientTimeout; }
  // The engine's own code, for logs: "1146" or "42P01".
  std::string Code() const { return sqlstate.empty() ? std::to_string(code) : sqlstate; }
};

// The engines' error codes as DbError (used by the backends; pure, so tests check them without a server).
DbError ClassifyMysqlError(unsigned code, std::string_view message);
DbError ClassifyPostgresError(std::string_view sqlstate);

using DbRow = std::vector<std::optional<std::string>>;

// One row of a streamed result: views into the client library's buffer, valid only inside the callback. Booleans
// read as "1" / "0" on both engines.
class DbRowView {
 public:
  DbRowView(const std::optional<std::string_view>* cells, unsigned count) : cells_(cells), count_(count) {}
  unsigned size() const { return count_; }
  // nullopt for SQL NULL.
  std::optional<std::string_view> operator[](unsigned i) const { return i < count_ ? cells_[i] : std::nullopt; }

 private:
  const std::optional<std::string_view>* cells_;
  unsigned count_;
};

// Column values of a streamed row as numbers or text; NULL and unparsable values become 0 or "".
int64_t DbInt(std::optional<std::string_view> value);
double DbDouble(std::optional<std::string_view> value);
std::string DbString(std::optional<std::string_view> value);

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<DbRow> rows;
};

// One engine's connection behind DbClient (db_client.cc picks it from DbOptions::engine).
class DbBackend {
 public:
  virtual ~DbBackend() = default;
  virtual DbStatus Connect() = 0;
  virtual void Close() = 0;
  virtual bool connected() const = 0;
  virtual DbStatus Ping() = 0;
  virtual DbStatus Query(std::string_view sql, QueryResult* out) = 0;
  virtual DbStatus Execute(std::string_view sql, uint64_t* affected_rows) = 0;
  virtual DbStatus QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row) = 0;
  virtual DbStatus QueryWithTimeout(std::string_view sql, int timeout_ms, QueryResult* out) = 0;
  virtual DbStatus LoadTsv(std::string_view table, std::string_view columns,
                           const std::function<bool(std::string*)>& next_block, uint64_t* rows) = 0;
  virtual std::string Quote(std::string_view value) const = 0;
  virtual const ServerInfo& server() const = 0;
};

class DbClient {
 public:
  explicit DbClient(DbOptions options);
  ~DbClient();
  DbClient(const DbClient&) = delete;
  DbClient& operator=(const DbClient&) = delete;

  // Connects and prepares the session; closes any previous connection first.
  DbStatus Connect() { return backend_->Connect(); }
  void Close() { backend_->Close(); }
  bool connected() const { return backend_->connected(); }
  DbStatus Ping() { return backend_->Ping(); }

  // Runs one statement. On a lost connection the client closes itself, so connected() tells the caller to
  // reconnect.
  DbStatus Query(std::string_view sql, QueryResult* out) { return backend_->Query(sql, out); }
  DbStatus Execute(std::string_view sql, uint64_t* affected_rows = nullptr) {
    return backend_->Execute(sql, affected_rows);
  }
  // Streams the rows of a SELECT to on_row as they arrive, without copying them (large reads: the log tail, the
  // aggregation).
  DbStatus QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row) {
    return backend_->QueryEach(sql, on_row);
  }
  // One SELECT allowed to run longer (or shorter) than the session's statement timeout.
  DbStatus QueryWithTimeout(std::string_view sql, int timeout_ms, QueryResult* out) {
    return backend_->QueryWithTimeout(sql, timeout_ms, out);
  }
  // Bulk-loads tab-separated text rows (\N for NULL, backslash escapes, '\n' line ends; booleans as 0/1) into
  // table (columns: "a, b, c") in one statement: LOAD DATA LOCAL INFILE (needs allow_local_infile) or COPY FROM
  // STDIN. next_block appends the next rows to its argument and returns false when the statement's data ends.
  DbStatus LoadTsv(std::string_view table, std::string_view columns,
                   const std::function<bool(std::string*)>& next_block, uint64_t* rows = nullptr) {
    return backend_->LoadTsv(table, columns, next_block, rows);
  }

  // String literal with quotes, escaped for this connection.
  std::string Quote(std::string_view value) const { return backend_->Quote(value); }
  const ServerInfo& server() const { return backend_->server(); }
  const DbOptions& options() const { return options_; }
  const Dialect& dialect() const { return dialect_; }

 private:
  DbOptions options_;
  Dialect dialect_;
  std::unique_ptr<DbBackend> backend_;
};

// Double-quotes an identifier (database, schema, table or column name): standard SQL, and MySQL sessions run with
// ANSI_QUOTES so the same text works on both engines.
std::string QuoteIdentifier(std::string_view name);

}  // namespace observer
