// The per-engine SQL fragments of dialect.h.
#include "observer/dialect.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>

#include "observer/db_client.h"

namespace observer {
namespace {

std::string Str(int64_t v) { return std::to_string(v); }

std::string HexLiteral(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char c : bytes) out += {kHex[c >> 4], kHex[c & 15]};
  return out + "'";
}

// A PostgreSQL standard string (standard_conforming_strings is on in every session): quotes doubled, NUL bytes
// (which text cannot hold) dropped.
std::string StandardString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\0') continue;
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

// A strict dotted quad and the RFC 4291 text forms: what PostgreSQL's inet accepts of each family, so the cast
// behind the guard cannot fail.
constexpr const char* kIpv4Pattern =
    "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";
constexpr const char* kIpv6Pattern =
    "^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|"
    "([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|"
    "([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|"
    "[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:)|"
    "::([fF]{4}(:0{1,4})?:)?((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]"
    "?[0-9])|"
    "([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-"
    "9]?[0-9]))$";

}  // namespace

const char* EngineName(DbEngine engine) { return engine == DbEngine::kPostgres ? "postgres" : "mysql"; }

std::string Dialect::Table(std::string_view container, std::string_view table) const {
  return QuoteIdentifier(container) + "." + QuoteIdentifier(table);
}

std::string Dialect::TextLiteral(std::string_view text) const {
  return engine_ == DbEngine::kPostgres ? StandardString(text) : HexLiteral(text);
}

std::string Dialect::Exact(std::string_view expr) const {
  // PostgreSQL's deterministic collations already compare byte for byte.
  return engine_ == DbEngine::kPostgres ? std::string(expr) : "CAST(" + std::string(expr) + " AS BINARY)";
}

std::string Dialect::IntDiv(std::string_view expr, int64_t divisor) const {
  return engine_ == DbEngine::kPostgres ? "(" + std::string(expr) + ") / " + Str(divisor)
                                        : "(" + std::string(expr) + ") DIV " + Str(divisor);
}

std::string Dialect::ToText(std::string_view expr) const {
  return engine_ == DbEngine::kPostgres ? "(" + std::string(expr) + ")::text"
                                        : "CAST(" + std::string(expr) + " AS CHAR)";
}

std::string Dialect::CountDistinctPair(std::string_view a, std::string_view b) const {
  if (engine_ == DbEngine::kMySQL) return "COUNT(DISTINCT " + std::string(a) + ", " + std::string(b) + ")";
  // A row value containing NULL is still counted by PostgreSQL: keep only complete pairs.
  return "COUNT(DISTINCT CASE WHEN " + std::string(a) + " IS NOT NULL AND " + std::string(b) + " IS NOT NULL THEN (" +
         std::string(a) + ", " + std::string(b) + ") END)";
}

std::string Dialect::UpsertClause(std::string_view table, std::string_view conflict_keys,
                                  const std::vector<std::string>& columns) const {
  if (engine_ == DbEngine::kMySQL) {
    // MySQL leaves an unchanged row alone and reports it as not affected.
    std::string out = " ON DUPLICATE KEY UPDATE ";
    for (size_t i = 0; i < columns.size(); ++i) out += (i ? ", " : "") + columns[i] + " = VALUES(" + columns[i] + ")";
    return out;
  }
  // PostgreSQL writes every conflicting row unless told which ones changed.
  std::string set, current, proposed;
  for (size_t i = 0; i < columns.size(); ++i) {
    set += (i ? ", " : "") + columns[i] + " = EXCLUDED." + columns[i];
    current += (i ? ", " : "") + QuoteIdentifier(table) + "." + columns[i];
    proposed += (i ? ", " : "") + std::string("EXCLUDED.") + columns[i];
  }
  return " ON CONFLICT (" + std::string(conflict_keys) + ") DO UPDATE SET " + set + " WHERE (" + current +
         ") IS DISTINCT FROM (" + proposed + ")";
}

std::string Dialect::BucketIndex(std::string_view column, const std::vector<int64_t>& starts) const {
  std::string list;
  for (int64_t start : starts) list += (list.empty() ? "" : ", ") + Str(start);
  if (engine_ == DbEngine::kPostgres) return "width_bucket(" + std::string(column) + ", ARRAY[" + list + "]::bigint[])";
  return "INTERVAL(" + std::string(column) + (list.empty() ? "" : ", ") + list + ")";
}

std::string Dialect::IpInNetwork(std::string_view column, const unsigned char* bytes, int family_bytes,
                                 int prefix_bits) const {
  unsigned char low[16] = {}, high[16] = {};
  for (int i = 0; i < family_bytes; ++i) {
    const int kept = std::clamp(prefix_bits - i * 8, 0, 8);
    const unsigned char mask = static_cast<unsigned char>(kept == 0 ? 0 : 0xFF << (8 - kept));
    low[i] = bytes[i] & mask;
    high[i] = static_cast<unsigned char>(low[i] | ~mask);
  }
  const std::string c(column);
  if (engine_ == DbEngine::kMySQL) {
    auto hex = [&](const unsigned char* b) {
      return HexLiteral(std::string_view(reinterpret_cast<const char*>(b), family_bytes));
    };
    return "(LENGTH(INET6_ATON(" + c + ")) = " + Str(family_bytes) + " AND INET6_ATON(" + c + ") BETWEEN " + hex(low) +
           " AND " + hex(high) + ")";
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_bytes == 4 ? AF_INET : AF_INET6, low, text, sizeof text);
  return std::string("COALESCE(CASE WHEN ") + c + " ~ '" + (family_bytes == 4 ? kIpv4Pattern : kIpv6Pattern) +
         "' THEN " + c + "::inet <<= '" + text + "/" + Str(prefix_bits) + "'::inet END, FALSE)";
}

std::string Dialect::Bool(bool value) const {
  if (engine_ == DbEngine::kPostgres) return value ? "TRUE" : "FALSE";
  return value ? "1" : "0";
}

std::string Dialect::TryLockSql(std::string_view name) const {
  if (engine_ == DbEngine::kPostgres) {
    // Session advisory locks stack: callers ask only while they do not hold it.
    return "SELECT CASE WHEN pg_try_advisory_lock(hashtextextended(" + StandardString(name) + ", 0)) THEN 1 ELSE 0 END";
  }
  return "SELECT COALESCE(GET_LOCK(" + HexLiteral(name) + ", 0), 0)";
}

std::string Dialect::IndexColumnsSql(std::string_view container, std::string_view table) const {
  if (engine_ == DbEngine::kPostgres) {
    return "SELECT i.relname, k.ord, a.attname FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid "
           "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
           "CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
           "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0 "
           "WHERE n.nspname = " +
           (container.empty() ? std::string("current_schema()") : StandardString(container)) +
           " AND t.relname = " + StandardString(table) + " ORDER BY 1, 2";
  }
  return "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
         (container.empty() ? std::string("DATABASE()") : HexLiteral(container)) +
         " AND TABLE_NAME = " + HexLiteral(table) + " ORDER BY 1, 2";
}

std::string Dialect::AddIndexSql(std::string_view table, std::string_view name, std::string_view columns,
                                 bool replace) const {
  const std::string t(table), n(name), c(columns);
  if (engine_ == DbEngine::kMySQL) {
    return "ALTER TABLE " + t + (replace ? " DROP INDEX " + n + "," : "") + " ADD INDEX " + n + " (" + c + ");";
  }
  if (!replace) return "CREATE INDEX CONCURRENTLY " + n + " ON " + t + " (" + c + ");";
  return "CREATE INDEX CONCURRENTLY " + n + "_new ON " + t + " (" + c + "); DROP INDEX CONCURRENTLY " + n +
         "; ALTER INDEX " + n + "_new RENAME TO " + n + ";";
}

std::string Dialect::ConnectionLimitSql() const {
  return engine_ == DbEngine::kPostgres ? "SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user"
                                        : "SELECT @@SESSION.max_user_connections";
}

std::string Dialect::UseSql(std::string_view container) const {
  return engine_ == DbEngine::kPostgres ? "SET search_path TO " + QuoteIdentifier(container)
                                        : "USE " + QuoteIdentifier(container);
}

std::string Dialect::UseDefaultSql(std::string_view database) const {
  return engine_ == DbEngine::kPostgres ? "SET search_path TO DEFAULT" : "USE " + QuoteIdentifier(database);
}

std::string Dialect::UnixNow() const {
  return engine_ == DbEngine::kPostgres ? "CAST(extract(epoch FROM now()) AS bigint)" : "UNIX_TIMESTAMP()";
}

}  // namespace observer
