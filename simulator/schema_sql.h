// The real new-api schema of each engine, embedded at build time, split into statements; the logs table is created
// with its primary key only and its secondary indexes are added after the load (sorted index builds).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "observer/dialect.h"

namespace sim {

// The schema file's text: schema/newapi-schema.sql or schema/newapi-schema.postgres.sql (generated headers).
std::string_view EmbeddedSchema(observer::DbEngine engine);

struct SchemaPlan {
  std::vector<std::string> create_tables;  // run before the load: every table, logs without its secondary indexes
  std::vector<std::string> logs_indexes;   // the logs indexes in schema order: "KEY `name` (...)" on MySQL, one
                                           // CREATE INDEX statement each on PostgreSQL
  std::vector<std::string>
      add_logs_indexes;  // run after the load: one ALTER TABLE logs ADD KEY ..., ADD KEY ... on
                         // MySQL (one pass over the table), the CREATE INDEX statements on PostgreSQL
};

// Whether a statement of SchemaPlan::create_tables creates the logs table (which may go to its own database).
bool CreatesLogsTable(const std::string& statement);

// legacy_index: idx_created_at_id as (id, created_at), the order upgraded installs still have.
SchemaPlan PlanSchema(observer::DbEngine engine, bool legacy_index);

}  // namespace sim
