// The engine-specific statements around newapi-sim's load (see database.h).
#include "database.h"

#include <cstdlib>

#include "observer/log.h"

namespace sim {
namespace {

bool IsPostgres(observer::DbEngine engine) { return engine == observer::DbEngine::kPostgres; }

[[noreturn]] void Fail(const std::string& what, const observer::DbStatus& status) {
  observer::log::Error(what, {{"error", status.message}, {"code", status.Code()}});
  std::exit(1);
}

// Every sequence owned by a column of a table in the current schema, set so that its next value follows the
// column's largest value (1 on an empty table).
constexpr const char* kAdvanceSequencesSql = R"(DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT s.oid AS seq, t.relname AS tab, a.attname AS col
             FROM pg_class s
             JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
             JOIN pg_class t ON t.oid = d.refobjid
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S' AND t.relnamespace = current_schema()::regnamespace
  LOOP
    EXECUTE format('SELECT setval(%s, COALESCE((SELECT MAX(%I) FROM %I), 0) + 1, false)', r.seq, r.col, r.tab);
  END LOOP;
END $$)";

}  // namespace

observer::DbOptions ServerOptions(const observer::DbOptions& db) {
  observer::DbOptions server = db;
  server.database = IsPostgres(db.engine) ? "postgres" : "";
  return server;
}

DatabaseState InspectDatabase(observer::DbClient& server, const observer::DbOptions& db) {
  DatabaseState state;
  const std::string name = server.Quote(db.database);
  observer::QueryResult exists;
  const std::string exists_sql = IsPostgres(db.engine)
                                     ? "SELECT 1 FROM pg_database WHERE datname = " + name
                                     : "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + name;
  if (observer::DbStatus st = server.Query(exists_sql, &exists); !st.ok) Fail("cannot inspect the database", st);
  state.exists = !exists.rows.empty();
  if (!state.exists) return state;

  observer::DbClient inside(db);
  if (observer::DbStatus st = inside.Connect(); !st.ok) Fail("cannot connect to the database", st);
  observer::QueryResult tables;
  const std::string schema = IsPostgres(db.engine) ? "current_schema()" : "DATABASE()";
  if (observer::DbStatus st =
          inside.Query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = " + schema, &tables);
      !st.ok) {
    Fail("cannot inspect the database", st);
  }
  state.table_count = std::stoi(tables.rows.at(0).at(0).value_or("0"));
  observer::QueryResult m;
  if (state.table_count > 0 &&
      inside.Query(std::string("SELECT value FROM options WHERE \"key\" = '") + kMarkerKey + "'", &m).ok &&
      !m.rows.empty() && m.rows[0][0]) {
    nlohmann::json marker = nlohmann::json::parse(*m.rows[0][0], nullptr, false);
    if (marker.is_object()) state.marker = marker;
  }
  return state;
}

std::string CreateDatabaseSql(observer::DbEngine engine, const std::string& name) {
  return "CREATE DATABASE " + observer::QuoteIdentifier(name) +
         (IsPostgres(engine) ? " ENCODING 'UTF8' TEMPLATE template0" : " DEFAULT CHARACTER SET utf8mb4");
}

std::string DropDatabaseSql(observer::DbEngine engine, const std::string& name) {
  return "DROP DATABASE IF EXISTS " + observer::QuoteIdentifier(name) + (IsPostgres(engine) ? " WITH (FORCE)" : "");
}

observer::DbStatus PrepareBulkSession(observer::DbClient& db) {
  if (IsPostgres(db.options().engine)) {
    if (observer::DbStatus st = db.Execute("SET synchronous_commit = off"); !st.ok) return st;
    return db.Execute("SET maintenance_work_mem = '256MB'");
  }
  if (observer::DbStatus st = db.Execute("SET SESSION unique_checks = 0, foreign_key_checks = 0"); !st.ok) return st;
  if (observer::DbStatus st = db.Execute("SET SESSION sql_log_bin = 0"); !st.ok) {
    observer::log::Info("sql_log_bin unchanged", {{"reason", st.message}});
  }
  return observer::DbStatus::Ok();
}

std::vector<std::string> AdvanceLogsIdSql(observer::DbEngine engine, int64_t logs_next_id) {
  const std::string next = std::to_string(logs_next_id);
  if (!IsPostgres(engine)) return {"ALTER TABLE logs AUTO_INCREMENT = " + next};
  return {"SELECT setval(pg_get_serial_sequence('logs', 'id'), GREATEST(" + next +
          ", (SELECT COALESCE(MAX(id), 0) + 1 FROM logs)), false)"};
}

std::vector<std::string> AdvanceEntityIdsSql(observer::DbEngine engine) {
  if (!IsPostgres(engine)) return {};
  return {kAdvanceSequencesSql};
}

}  // namespace sim
