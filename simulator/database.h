// What newapi-sim does differently on MySQL/MariaDB and PostgreSQL around the load: where it connects to inspect,
// create and drop the database, how it prepares the bulk-load session, and how ids continue after explicit-id
// inserts. Everything else it writes is portable SQL or comes from observer::Dialect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "load_plan.h"
#include "observer/db_client.h"

namespace sim {

// The connection that inspects, creates and drops db.database: the server without a database on MySQL, the
// maintenance database "postgres" on PostgreSQL (a database cannot be dropped from inside).
observer::DbOptions ServerOptions(const observer::DbOptions& db);

// Whether db.database exists, how many tables it holds (its current schema on PostgreSQL) and the simulator's
// marker. server is connected with ServerOptions(db). Exits on failure.
DatabaseState InspectDatabase(observer::DbClient& server, const observer::DbOptions& db);

std::string CreateDatabaseSql(observer::DbEngine engine, const std::string& name);
// PostgreSQL: WITH (FORCE) ends the other sessions (a stopped demo's exporter) that would block the drop.
std::string DropDatabaseSql(observer::DbEngine engine, const std::string& name);

// Session settings for the bulk load (MySQL: no per-row uniqueness or foreign key checks, no binary log if
// allowed; PostgreSQL: asynchronous commit and memory for the index builds).
observer::DbStatus PrepareBulkSession(observer::DbClient& db);

// Statements run after the load so that new rows continue after the loaded ids. In the database holding logs:
// logs' next id is logs_next_id (the history ends with id gaps). In the database holding the other tables:
// MySQL's AUTO_INCREMENT already followed their explicit ids; PostgreSQL's sequences did not, so every sequence of
// the schema is set past its column's largest id.
std::vector<std::string> AdvanceLogsIdSql(observer::DbEngine engine, int64_t logs_next_id);
std::vector<std::string> AdvanceEntityIdsSql(observer::DbEngine engine);

}  // namespace sim
