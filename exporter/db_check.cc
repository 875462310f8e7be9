// The database check: each probe is a query that must succeed (grants) or must fail (secrets).
#include "db_check.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <regex>

#include "display_unit.h"
#include "grants_logs_postgres_sql.inc"
#include "grants_logs_sql.inc"
#include "grants_postgres_sql.inc"
#include "grants_sql.inc"
#include "observer/app.h"
#include "observer/newapi/logs.h"
#include "observer_tables_postgres_sql.inc"

namespace exporter {
namespace {

const std::string kConsumeRows = observer::newapi::LogTypes{observer::newapi::kLogConsume}.Sql();

// Columns nobody reading analytics needs, which give access or leak content: the account must not read them.
const std::pair<const char*, const char*> kSecretColumns[] = {
    {"tokens", "key"}, {"channels", "key"}, {"users", "password"}, {"users", "access_token"}, {"logs", "content"},
};

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n`\""), b = s.find_last_not_of(" \t\n`\"");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The statements of an SQL file without its comment lines.
std::string WithoutComments(const std::string& sql) {
  std::string statements;
  for (size_t pos = 0; pos < sql.size();) {
    size_t end = sql.find('\n', pos);
    if (end == std::string::npos) end = sql.size();
    const std::string line = sql.substr(pos, end - pos);
    if (Trim(line).rfind("--", 0) != 0) statements += line + "\n";
    pos = end + 1;
  }
  return statements;
}

// A new-api table (the connection's own database or schema) or one of the observer's tables.
std::string TableOf(const observer::Dialect& dialect, const Grant& g, const std::string& agg_database) {
  return g.database == "@AGG_DB_NAME@" ? dialect.Table(agg_database, g.table) : observer::QuoteIdentifier(g.table);
}

}  // namespace

ExporterAccount ParseExporterAccount(const std::string& grants_sql, const std::string& grants_logs_sql,
                                     const std::string& observer_tables_sql) {
  ExporterAccount account;
  // MySQL: ON `@DB_NAME@`.`logs` TO 'newapi_ro'@'%'; PostgreSQL: ON public.logs TO newapi_ro, public being the
  // schema of the database the file runs in.
  static const std::regex kGrant(R"(GRANT SELECT\s*(\(([^)]*)\))?\s*ON\s+([^.\s]+)\.([^.\s]+)\s+TO\s+'?newapi_ro\b)");
  const std::pair<std::string, const char*> files[] = {{WithoutComments(grants_sql), "@DB_NAME@"},
                                                       {WithoutComments(grants_logs_sql), "@LOGS_DB_NAME@"}};
  for (const auto& [statements, public_database] : files) {
    for (std::sregex_iterator it(statements.begin(), statements.end(), kGrant), end; it != end; ++it) {
      const std::string container = Trim((*it)[3]);
      Grant g{container == "public" ? public_database : container, Trim((*it)[4]), {}};
      const std::string columns = (*it)[2];
      for (size_t pos = 0; !columns.empty() && pos <= columns.size();) {
        size_t comma = columns.find(',', pos);
        if (comma == std::string::npos) comma = columns.size();
        g.columns.push_back(Trim(columns.substr(pos, comma - pos)));
        pos = comma + 1;
      }
      account.grants.push_back(std::move(g));
    }
  }
  const std::string statements = WithoutComments(grants_sql) + WithoutComments(grants_logs_sql);
  // A grant the file takes back (older setups read all of options) is not one the account needs.
  static const std::regex kRevoke(R"(REVOKE (SELECT|ALL) ON\s+([^.\s]+)\.([^.\s]+)\s+FROM\s+'?newapi_ro\b)");
  for (std::sregex_iterator it(statements.begin(), statements.end(), kRevoke), end; it != end; ++it) {
    const std::string table = Trim((*it)[3]);
    account.grants.erase(
        std::remove_if(account.grants.begin(), account.grants.end(), [&](const Grant& g) { return g.table == table; }),
        account.grants.end());
  }
  static const std::regex kWholeSchema(R"(GRANT SELECT ON ALL TABLES IN SCHEMA "@AGG_DB_NAME@" TO newapi_ro\b)");
  if (std::regex_search(statements, kWholeSchema)) {
    const std::string tables = WithoutComments(observer_tables_sql);
    static const std::regex kCreate(R"(CREATE TABLE IF NOT EXISTS (\w+))");
    for (std::sregex_iterator it(tables.begin(), tables.end(), kCreate), end; it != end; ++it) {
      account.grants.push_back({"@AGG_DB_NAME@", (*it)[1], {}});
    }
  }
  static const std::regex kLimit(R"(newapi_ro\b[^;]*(MAX_USER_CONNECTIONS|CONNECTION LIMIT)\s+(\d+))");
  if (std::smatch m; std::regex_search(statements, m, kLimit)) account.connection_limit = std::stoi(m[2]);
  return account;
}

// The connection that reads a table: logs and the observer's tables live on the logs database.
observer::DbClient& ConnectionFor(const Grant& g, observer::DbClient& main, observer::DbClient& logs) {
  return g.database == "@DB_NAME@" ? main : logs;
}

ExporterConnections CountExporterConnections(int api_connections, const observer::DbOptions& main,
                                             const observer::DbOptions& logs) {
  const std::string pool = "API_DB_CONNECTIONS " + std::to_string(api_connections);
  if (observer::SameDatabase(main, logs)) {
    return {api_connections + 3, pool + " + 2 collectors + 1 health check"};
  }
  // Logs elsewhere: the API's pool and the tail there, the names pool, the entities and the health check here; the
  // same account on the same server counts both.
  if (main.host == logs.host && main.port == logs.port && main.user == logs.user) {
    return {2 * api_connections + 3, pool + " twice (logs and names) + 2 collectors + 1 health check"};
  }
  return {api_connections + 2, pool + " (names) + 1 collector + 1 health check"};
}

std::vector<CheckItem> RunDbCheck(observer::DbClient& main, observer::DbClient& logs, const std::string& agg_database,
                                  const ExporterConnections& exporter) {
  const std::string& database = main.options().database;
  const bool logs_elsewhere = &main != &logs;
  const observer::Dialect& dialect = main.dialect();
  const bool postgres = dialect.engine() == observer::DbEngine::kPostgres;
  const char* grants_file =
      postgres ? "schema/grants.postgres.sql and grants-logs.postgres.sql" : "schema/grants.sql and grants-logs.sql";
  const ExporterAccount account =
      ParseExporterAccount(postgres ? kGrantsPostgresSql : kGrantsSql,
                           postgres ? kGrantsLogsPostgresSql : kGrantsLogsSql, kObserverTablesPostgresSql);
  std::vector<CheckItem> items;
  items.push_back({CheckItem::kOk, "server",
                   std::string(observer::FlavorName(main.server().flavor)) + " " + main.server().version +
                       ", database " + database + ", observer tables in " + agg_database});
  if (logs_elsewhere) {
    items.push_back({CheckItem::kOk, "server",
                     "logs: " + std::string(observer::FlavorName(logs.server().flavor)) + " " + logs.server().version +
                         ", database " + logs.options().database + " (LOG_DSN_RO)"});
  }

  // Grants: every table and column of the grants file must be readable.
  int missing = 0;
  for (const Grant& g : account.grants) {
    observer::DbClient& reader = ConnectionFor(g, main, logs);
    const std::string schema = g.database == "@AGG_DB_NAME@" ? agg_database : reader.options().database;
    std::string columns;
    for (const std::string& c : g.columns) columns += (columns.empty() ? "" : ", ") + observer::QuoteIdentifier(c);
    const std::string sql = "SELECT " + (columns.empty() ? std::string("1") : columns) + " FROM " +
                            TableOf(reader.dialect(), g, agg_database) + " LIMIT 0";
    observer::QueryResult result;
    const observer::DbStatus status = reader.Query(sql, &result);
    if (status.ok) continue;
    ++missing;
    const bool no_table =
        status.error == observer::DbError::kNoSuchTable || status.error == observer::DbError::kNoSuchDatabase;
    const bool observer_table = g.database == "@AGG_DB_NAME@";
    items.push_back({no_table && observer_table ? CheckItem::kWarn : CheckItem::kFail, "grants",
                     (no_table ? "missing table " : "cannot read ") + schema + "." + g.table +
                         (columns.empty() ? "" : " (" + columns + ")") + ": " + status.message +
                         (no_table && observer_table ? " (run newapi-aggregator once)" : "")});
  }
  if (missing == 0) {
    items.push_back(
        {CheckItem::kOk, "grants", std::string("every table and column in ") + grants_file + " is readable"});
  }

  // Secrets: reading them must be refused.
  for (const auto& [table, column] : kSecretColumns) {
    observer::QueryResult result;
    const observer::DbStatus status = (std::string(table) == "logs" ? logs : main)
                                          .Query("SELECT " + observer::QuoteIdentifier(column) + " FROM " +
                                                     observer::QuoteIdentifier(table) + " LIMIT 0",
                                                 &result);
    const std::string name = std::string(table) + "." + column;
    if (status.ok) {
      items.push_back({CheckItem::kFail, "secrets",
                       "this account can read " + name + ": grant column-level SELECT as " + grants_file + " does"});
    } else if (status.error != observer::DbError::kPermissionDenied) {
      items.push_back({CheckItem::kWarn, "secrets", "could not test " + name + ": " + status.message});
    }
  }
  // new-api's options: its admin secrets must stay out of reach; the observer_options view shows the exporter's keys.
  {
    observer::QueryResult result;
    const observer::DbStatus status =
        main.Query("SELECT " + observer::QuoteIdentifier("value") + " FROM options WHERE " +
                       observer::QuoteIdentifier("key") + " = 'SMTPToken' LIMIT 0",
                   &result);
    if (status.ok) {
      items.push_back({CheckItem::kFail, "secrets",
                       "this account can read options.value (SMTPToken, GitHubClientSecret, EpayKey, ...): revoke it "
                       "and read options through observer_options as " +
                           std::string(grants_file) + " does"});
    } else if (status.error != observer::DbError::kPermissionDenied) {
      items.push_back({CheckItem::kWarn, "secrets", "could not test options.value: " + status.message});
    }
  }
  {
    observer::QueryResult result;
    if (main.Query("SELECT " + observer::QuoteIdentifier("key") + " FROM observer_options", &result).ok) {
      for (const auto& row : result.rows) {
        const std::string key = row[0].value_or("");
        const bool display_key = std::find(std::begin(kDisplayOptionKeys), std::end(kDisplayOptionKeys), key) !=
                                 std::end(kDisplayOptionKeys);
        if (key != "QuotaPerUnit" && !display_key) {
          items.push_back({CheckItem::kFail, "secrets",
                           "observer_options shows option " + key +
                               ", which the exporter does not need: recreate the "
                               "view from " +
                               grants_file});
        }
      }
    }
  }
  if (std::none_of(items.begin(), items.end(), [](const CheckItem& i) { return i.topic == "secrets"; })) {
    items.push_back({CheckItem::kOk, "secrets",
                     "tokens.key, channels.key, users.password/access_token, "
                     "logs.content and the options' secrets are not readable"});
  }

  // Connection limit: the exporter's connections fit, with room for reconnects, and a runaway exporter cannot take
  // the server's connections from new-api.
  observer::QueryResult limit;
  if (observer::DbStatus s = main.Query(dialect.ConnectionLimitSql(), &limit); s.ok && !limit.rows.empty()) {
    const int64_t value = observer::DbInt(limit.rows[0][0]);
    const int needed = exporter.count, wanted = 2 * exporter.count;
    const std::string opens = "the exporter opens " + std::to_string(needed) + " (" + exporter.how + ")";
    const std::string& user = main.options().user;
    const std::string fix =
        postgres ? "ALTER ROLE " + observer::QuoteIdentifier(user) + " CONNECTION LIMIT " + std::to_string(wanted)
                 : "ALTER USER '" + user + "'@'%' WITH MAX_USER_CONNECTIONS " + std::to_string(wanted);
    if (value <= 0) {
      items.push_back({CheckItem::kWarn, "limits",
                       "this account has no connection limit of its own; " + opens + ": limit it to " +
                           std::to_string(wanted) + " (" + fix + ")"});
    } else if (value < needed) {
      items.push_back({CheckItem::kFail, "limits",
                       "this account may open " + std::to_string(value) + " connections but " + opens +
                           ": the API would answer 503. Fix: " + fix + ", or lower API_DB_CONNECTIONS"});
    } else if (value < wanted) {
      items.push_back({CheckItem::kWarn, "limits",
                       "this account may open " + std::to_string(value) + " connections and " + opens +
                           ": no room for reconnects. Fix: " + fix});
    } else {
      items.push_back(
          {CheckItem::kOk, "limits", "this account may open " + std::to_string(value) + " connections; " + opens});
    }
  } else {
    items.push_back({CheckItem::kWarn, "limits", "cannot read this account's connection limit: " + s.message});
  }

  // Indexes of logs.
  observer::QueryResult index_rows;
  if (observer::DbStatus s = logs.Query(logs.dialect().IndexColumnsSql("", "logs"), &index_rows); s.ok) {
    const std::string advice = observer::newapi::LogsIndexAdvice(logs.dialect(), index_rows);
    if (advice.empty()) {
      items.push_back({CheckItem::kOk, "indexes", "logs has an index on (created_at, id): time-range reads are cheap"});
    } else {
      items.push_back({CheckItem::kWarn, "indexes",
                       "logs has no index starting with (created_at, id): the API's time-range queries scan. Fix "
                       "(on the primary, off-peak; it builds an index): " +
                           advice});
    }
  } else {
    items.push_back({CheckItem::kWarn, "indexes", "cannot list the indexes of logs: " + s.message});
  }

  // LOG_SQL_DSN: usage in users but no consume rows in the logs read means new-api writes them elsewhere.
  observer::QueryResult consume, requests;
  if (logs.Query("SELECT COUNT(*) FROM (SELECT 1 FROM logs WHERE " + kConsumeRows + " LIMIT 1) l", &consume).ok &&
      main.Query("SELECT COALESCE(SUM(request_count), 0) FROM users", &requests).ok && !consume.rows.empty() &&
      !requests.rows.empty()) {
    const bool has_logs = observer::DbInt(consume.rows[0][0]) != 0;
    const bool has_requests = observer::DbInt(requests.rows[0][0]) != 0;
    if (!has_logs && has_requests) {
      items.push_back({CheckItem::kFail, "logs",
                       "logs holds no consume rows but users have made requests: new-api probably writes logs "
                       "elsewhere (its LOG_SQL_DSN); set LOG_DSN_RO to that database with this account"});
    } else {
      items.push_back({CheckItem::kOk, "logs", has_logs ? "logs holds consume rows" : "no traffic yet"});
    }
  }

  // IP coverage over the last day: the IP rules only see users with record_ip_log on.
  observer::QueryResult ip;
  if (logs.Query("SELECT COUNT(DISTINCT user_id), COUNT(DISTINCT CASE WHEN ip <> '' THEN user_id END) FROM logs "
                 "WHERE " +
                     kConsumeRows + " AND created_at >= " + logs.dialect().UnixNow() + " - 86400",
                 &ip)
          .ok &&
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
