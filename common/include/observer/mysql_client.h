// A MySQL/MariaDB connection (MariaDB Connector/C) with client timeouts, a prepared session (server-side statement
// timeout, lock wait timeout, UTC, optional read-only) and error results instead of exceptions.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace observer {

struct DbOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  std::string user;
  std::string password;
  int connect_timeout_seconds = 3;
  int read_timeout_seconds = 10;    // client side: a dead server never hangs a thread longer than this
  int write_timeout_seconds = 10;
  int statement_timeout_ms = 5000;  // server side (MAX_EXECUTION_TIME / max_statement_time); 0 = none
  int lock_wait_timeout_seconds = 2;
  bool read_only = false;           // SET SESSION TRANSACTION READ ONLY
  bool allow_local_infile = false;  // LOAD DATA LOCAL INFILE (the simulator's bulk load)
};

enum class ServerFlavor { kUnknown, kMySQL, kMariaDB };

struct ServerInfo {
  ServerFlavor flavor = ServerFlavor::kUnknown;
  std::string version;  // as SELECT VERSION() returns it
};

// Parses SELECT VERSION() output ("10.11.19-MariaDB-0+deb12u1", "8.0.36") into a flavour.
ServerFlavor FlavorFromVersion(std::string_view version);
const char* FlavorName(ServerFlavor flavor);
// The statement that sets the server-side statement timeout for this flavour ("" when none is possible).
std::string StatementTimeoutSql(ServerFlavor flavor, int timeout_ms);

// The statement with its own server-side timeout, for the rare query allowed to run longer than the session's
// (MariaDB: SET STATEMENT max_statement_time=... FOR; MySQL: a MAX_EXECUTION_TIME hint on the SELECT).
std::string WithStatementTimeout(ServerFlavor flavor, std::string_view select_sql, int timeout_ms);

struct DbStatus {
  bool ok = true;
  unsigned code = 0;  // server or client error number (0 when ok)
  std::string message;

  static DbStatus Ok() { return {}; }
  static DbStatus Failure(unsigned code, std::string message) { return {false, code, std::move(message)}; }
  // Statement timeout (MySQL 3024, MariaDB 1969) or a client read timeout.
  bool IsTimeout() const;
  // The connection is gone (2002, 2003, 2006, 2013, 2055): reconnect before the next query.
  bool IsConnectionLost() const;
};

using DbRow = std::vector<std::optional<std::string>>;

// One row of a streamed result: views into the client library's buffer, valid only inside the callback.
class DbRowView {
 public:
  DbRowView(MYSQL_ROW row, const unsigned long* lengths, unsigned count) : row_(row), lengths_(lengths), count_(count) {}
  unsigned size() const { return count_; }
  // nullopt for SQL NULL.
  std::optional<std::string_view> operator[](unsigned i) const {
    if (i >= count_ || row_[i] == nullptr) return std::nullopt;
    return std::string_view(row_[i], lengths_[i]);
  }

 private:
  MYSQL_ROW row_;
  const unsigned long* lengths_;
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

class MysqlClient {
 public:
  explicit MysqlClient(DbOptions options);
  ~MysqlClient();
  MysqlClient(const MysqlClient&) = delete;
  MysqlClient& operator=(const MysqlClient&) = delete;

  // Connects and prepares the session; closes any previous connection first.
  DbStatus Connect();
  void Close();
  bool connected() const { return handle_ != nullptr; }
  DbStatus Ping();

  // Runs one statement. On a lost connection the client closes itself, so connected() tells the caller to
  // reconnect.
  DbStatus Query(std::string_view sql, QueryResult* out);
  DbStatus Execute(std::string_view sql, uint64_t* affected_rows = nullptr);
  // Streams the rows of a SELECT to on_row as they arrive, without copying them (large reads: the log tail, the
  // aggregation).
  DbStatus QueryEach(std::string_view sql, const std::function<void(const DbRowView&)>& on_row);

  // String literal with quotes, escaped for this connection's charset (requires a connection).
  std::string Quote(std::string_view value) const;
  const ServerInfo& server() const { return server_; }
  const DbOptions& options() const { return options_; }
  // The raw handle, for Connector/C features without a wrapper (LOAD DATA LOCAL INFILE handlers).
  MYSQL* handle() { return handle_; }

 private:
  DbStatus LastError();
  DbStatus PrepareSession();

  DbOptions options_;
  MYSQL* handle_ = nullptr;
  ServerInfo server_;
};

// Backtick-quotes an identifier (database, table or column name).
std::string QuoteIdentifier(std::string_view name);
// A binary string literal X'...' of any bytes: needs no connection and compares byte for byte.
std::string HexLiteral(std::string_view bytes);

}  // namespace observer
