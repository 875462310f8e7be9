// The SQL that differs between MySQL/MariaDB and PostgreSQL, as small text builders: the only place besides the
// client backends that knows which engine it writes for. Everything else writes portable SQL (CASE, COALESCE,
// GREATEST, LIMIT, double-quoted identifiers) and asks the connection's Dialect for the rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace observer {

enum class DbEngine { kMySQL, kPostgres };

// "mysql" or "postgres".
const char* EngineName(DbEngine engine);

class Dialect {
 public:
  explicit Dialect(DbEngine engine) : engine_(engine) {}
  DbEngine engine() const { return engine_; }

  // container.table, both quoted: a database on MySQL, a schema on PostgreSQL.
  std::string Table(std::string_view container, std::string_view table) const;
  // A literal of any text that compares byte for byte with Exact(): X'..' on MySQL (no connection needed, so model
  // names and IPs from the database go back into SQL unchanged); a standard string on PostgreSQL.
  std::string TextLiteral(std::string_view text) const;
  // The expression compared and grouped byte for byte (MySQL's default collations ignore case and trailing spaces).
  std::string Exact(std::string_view expr) const;
  // expr / divisor rounded toward zero as an integer (created_at buckets: non-negative, so also the floor).
  std::string IntDiv(std::string_view expr, int64_t divisor) const;
  // An integer expression as text (PostgreSQL's CAST(x AS CHAR) is char(1): it keeps one character).
  std::string ToText(std::string_view expr) const;
  // COUNT(DISTINCT a, b), skipping rows where either is NULL (as MySQL does).
  std::string CountDistinctPair(std::string_view a, std::string_view b) const;
  // The upsert tail of an INSERT into table (unqualified name): conflict_keys are the primary key's columns
  // (PostgreSQL needs them), columns are set to the inserted row's values. A row whose values do not change is not
  // written and not counted as affected, on both engines.
  std::string UpsertClause(std::string_view table, std::string_view conflict_keys,
                           const std::vector<std::string>& columns) const;
  // 0 for column < starts[0], i for starts[i-1] <= column < starts[i], n past the last: MySQL INTERVAL() or
  // PostgreSQL width_bucket(). starts must be ascending.
  std::string BucketIndex(std::string_view column, const std::vector<int64_t>& starts) const;
  // column (text holding an IP address) is inside the network bytes/prefix_bits of family_bytes 4 or 16; text that
  // is no address of that family never matches and never aborts the query.
  std::string IpInNetwork(std::string_view column, const unsigned char* bytes, int family_bytes, int prefix_bits) const;
  // A boolean literal in a VALUES list or comparison.
  std::string Bool(bool value) const;
  // A query whose single value is 1 when this session now holds the named lock (without waiting), else 0. Session
  // locks: released when the connection ends.
  std::string TryLockSql(std::string_view name) const;
  // Rows (index name, position from 1, column name) of every index on container.table; expression parts of an index
  // have no column name. An empty container is the connection's own database (MySQL) or current schema.
  std::string IndexColumnsSql(std::string_view container, std::string_view table) const;
  // The statements that give table (unqualified, in the connection's own database or schema) the index name on
  // columns ("a, b") without blocking writes where the engine can: MySQL's online ALTER TABLE, PostgreSQL's CREATE
  // INDEX CONCURRENTLY (each statement on its own, outside a transaction). replace: an index of that name exists
  // with other columns (PostgreSQL builds the new one under name_new first, so reads never go without one).
  std::string AddIndexSql(std::string_view table, std::string_view name, std::string_view columns, bool replace) const;
  // A query whose single value is the connection limit of the session's account: 0 or less when it has none of
  // its own (MySQL: the session's max_user_connections, which is the account's MAX_USER_CONNECTIONS when set).
  std::string ConnectionLimitSql() const;
  // Makes unqualified table names in the statements that follow refer to container (MySQL: USE the database;
  // PostgreSQL: the schema first in the search path), and back to the connection's own database.
  std::string UseSql(std::string_view container) const;
  std::string UseDefaultSql(std::string_view database) const;
  // The current time as unix seconds.
  std::string UnixNow() const;

 private:
  DbEngine engine_;
};

}  // namespace observer
