// The database check: each probe is a query that must succeed (grants) or must fail (secrets).
#include "db_check.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

#include "grants_sql.inc"

namespace exporter {
namespace {

constexpr unsigned kTableAccessDenied = 1142, kColumnAccessDenied = 1143, kNoSuchTable = 1146;

// Columns nobody reading analytics needs, which give access or leak content: the account must not read them.
const std::pair<const char*, const char*> kSecretColumns[] = {
    {"tokens", "key"},         {"channels", "key"},          {"users", "password"},
    {"users", "access_token"}, {"logs", "content"},
};

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n`"), b = s.find_last_not_of(" \t\n`");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string Qualified(const std::string& database, const std::string& table) {
  return observer::QuoteIdentifier(database) + "." + observer::QuoteIdentifier(table);
}

}  // namespace

std::vector<Grant> ExporterGrants(const std::string& grants_sql) {
  std::string statements;
  for (size_t pos = 0; pos < grants_sql.size();) {  // drop comment lines
    size_t end = grants_sql.find('\n', pos);
    if (end == std::string::npos) end = grants_sql.size();
    const std::string line = grants_sql.substr(pos, end - pos);
    if (Trim(line).rfind("--", 0) != 0) statements += line + "\n";
    pos = end + 1;
  }
  static const std::regex kGrant(R"(GRANT SELECT\s*(\(([^)]*)\))?\s*ON\s*`([^`]+)`\.`([^`]+)`\s*TO\s*'newapi_ro')");
  std::vector<Grant> grants;
  for (std::sregex_iterator it(statements.begin(), statements.end(), kGrant), end; it != end; ++it) {
    Grant g{(*it)[3], (*it)[4], {}};
    const std::string columns = (*it)[2];
    for (size_t pos = 0; !columns.empty() && pos <= columns.size();) {
      size_t comma = columns.find(',', pos);
      if (comma == std::string::npos) comma = columns.size();
      g.columns.push_back(Trim(columns.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    grants.push_back(std::move(g));
  }
  return grants;
}

std::string LogsIndexAdvice(const std::vector<std::vector<std::string>>& rows) {
  std::map<std::string, std::map<int, std::string>> keys;  // key name -> position -> column
  for (const auto& r : rows) {
    if (r.size() >= 3) keys[r[0]][std::stoi(r[1])] = r[2];
  }
  for (const auto& [name, columns] : keys) {
    if (columns.size() >= 2 && columns.begin()->second == "created_at" && std::next(columns.begin())->second == "id") {
      return "";
    }
  }
  const auto old = keys.find("idx_created_at_id");
  if (old != keys.end()) {
    return "ALTER TABLE logs DROP INDEX idx_created_at_id, ADD INDEX idx_created_at_id (created_at, id);";
  }
  return "ALTER TABLE logs ADD INDEX idx_created_at_id (created_at, id);";
}

std::vector<CheckItem> RunDbCheck(observer::DbClient& db, const std::string& database,
                                  const std::string& agg_database) {
  std::vector<CheckItem> items;
  items.push_back({CheckItem::kOk, "server",
                   std::string(observer::FlavorName(db.server().flavor)) + " " + db.server().version + ", database " +
                       database + ", observer tables in " + agg_database});

  // Grants: every table and column of grants.sql must be readable.
  int missing = 0;
  for (const Grant& g : ExporterGrants(kGrantsSql)) {
    const std::string schema = g.database == "@AGG_DB_NAME@" ? agg_database : database;
    std::string columns;
    for (const std::string& c : g.columns) columns += (columns.empty() ? "" : ", ") + observer::QuoteIdentifier(c);
    const std::string sql = "SELECT " + (columns.empty() ? std::string("1") : columns) + " FROM " +
                            Qualified(schema, g.table) + " LIMIT 0";
    observer::QueryResult result;
    const observer::DbStatus status = db.Query(sql, &result);
    if (status.ok) continue;
    ++missing;
    const bool no_table = status.code == kNoSuchTable;
    items.push_back({no_table && g.table.rfind("agg_", 0) == 0 ? CheckItem::kWarn : CheckItem::kFail, "grants",
                     (no_table ? "missing table " : "cannot read ") + schema + "." + g.table +
                         (columns.empty() ? "" : " (" + columns + ")") + ": " + status.message +
                         (no_table && g.table.rfind("agg_", 0) == 0 ? " (run newapi-aggregator once)" : "")});
  }
  if (missing == 0) items.push_back({CheckItem::kOk, "grants", "every table and column in schema/grants.sql is readable"});

  // Secrets: reading them must be refused.
  for (const auto& [table, column] : kSecretColumns) {
    observer::QueryResult result;
    const observer::DbStatus status =
        db.Query("SELECT " + observer::QuoteIdentifier(column) + " FROM " + Qualified(database, table) + " LIMIT 0",
                 &result);
    const std::string name = std::string(table) + "." + column;
    if (status.ok) {
      items.push_back({CheckItem::kFail, "secrets",
                       "this account can read " + name + ": grant column-level SELECT as schema/grants.sql does"});
    } else if (status.code != kColumnAccessDenied && status.code != kTableAccessDenied) {
      items.push_back({CheckItem::kWarn, "secrets", "could not test " + name + ": " + status.message});
    }
  }
  if (std::none_of(items.begin(), items.end(), [](const CheckItem& i) { return i.topic == "secrets"; })) {
    items.push_back({CheckItem::kOk, "secrets", "tokens.key, channels.key, users.password/access_token and "
                                                "logs.content are not readable"});
  }
  items.push_back({CheckItem::kWarn, "secrets",
                   "options is readable as a whole (it holds SMTP and payment secrets); the exporter reads only "
                   "QuotaPerUnit and never outputs option values"});

  // Indexes of logs.
  observer::QueryResult index_rows;
  if (observer::DbStatus s = db.Query("SHOW INDEX FROM " + Qualified(database, "logs"), &index_rows); s.ok) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : index_rows.rows) rows.push_back({r[2].value_or(""), r[3].value_or("0"), r[4].value_or("")});
    const std::string advice = LogsIndexAdvice(rows);
    if (advice.empty()) {
      items.push_back({CheckItem::kOk, "indexes", "logs has an index on (created_at, id): time-range reads are cheap"});
    } else {
      items.push_back({CheckItem::kWarn, "indexes",
                       "logs has no index starting with (created_at, id): the API's time-range queries scan. Fix "
                       "(on the primary, off-peak; it rebuilds the index): " + advice});
    }
  } else {
    items.push_back({CheckItem::kWarn, "indexes", "cannot list the indexes of logs: " + s.message});
  }

  // LOG_SQL_DSN: usage in users but no consume rows in logs means logs live elsewhere.
  observer::QueryResult usage;
  if (db.Query("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM " + Qualified(database, "logs") +
                   " WHERE type = 2 LIMIT 1) l), (SELECT COALESCE(SUM(request_count), 0) FROM " +
                   Qualified(database, "users") + ")",
               &usage).ok &&
      !usage.rows.empty()) {
    const bool has_logs = usage.rows[0][0].value_or("0") != "0";
    const bool has_requests = usage.rows[0][1].value_or("0") != "0";
    if (!has_logs && has_requests) {
      items.push_back({CheckItem::kFail, "logs",
                       "logs holds no consume rows but users have made requests: new-api probably writes logs "
                       "elsewhere (LOG_SQL_DSN); point DB_* at that database"});
    } else {
      items.push_back({CheckItem::kOk, "logs", has_logs ? "logs holds consume rows" : "no traffic yet"});
    }
  }

  // IP coverage over the last day: the IP rules only see users with record_ip_log on.
  observer::QueryResult ip;
  if (db.Query("SELECT COUNT(DISTINCT user_id), COUNT(DISTINCT IF(ip <> '', user_id, NULL)) FROM " +
                   Qualified(database, "logs") + " WHERE type = 2 AND created_at >= UNIX_TIMESTAMP() - 86400",
               &ip).ok &&
      !ip.rows.empty()) {
    const double users = observer::DbDouble(ip.rows[0][0]), with_ip = observer::DbDouble(ip.rows[0][1]);
    char text[200];
    std::snprintf(text, sizeof text,
                  "%.0f of %.0f users active in the last 24 h log their IP (record_ip_log): %.0f %%; the IP rules "
                  "see only them",
                  with_ip, users, users > 0 ? 100.0 * with_ip / users : 0.0);
    items.push_back({users > 0 && with_ip / users < 0.2 ? CheckItem::kWarn : CheckItem::kOk, "coverage", text});
  }
  return items;
}

int PrintCheck(const std::vector<CheckItem>& items) {
  int failed = 0;
  for (const CheckItem& item : items) {
    const char* level = item.level == CheckItem::kOk ? "ok  " : item.level == CheckItem::kWarn ? "WARN" : "FAIL";
    std::printf("%s  %-9s %s\n", level, item.topic.c_str(), item.message.c_str());
    failed += item.level == CheckItem::kFail ? 1 : 0;
  }
  std::printf("%s\n", failed == 0 ? "check passed" : "check failed");
  return failed == 0 ? 0 : 1;
}

}  // namespace exporter
