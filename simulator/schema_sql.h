// The real new-api schema, embedded at build time, split into statements; the logs table is created with its
// primary key only and its secondary indexes are added afterwards in one ALTER (a sorted index build).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sim {

// The schema file's text (generated header from schema/newapi-schema.sql).
std::string_view EmbeddedSchema();

struct SchemaPlan {
  std::vector<std::string> create_tables;  // every CREATE TABLE, logs without its secondary KEYs
  std::vector<std::string> logs_indexes;   // "KEY `name` (`col`,...)" in schema order
  std::string add_logs_indexes;            // ALTER TABLE logs ADD KEY ..., ADD KEY ...
};

// legacy_index: idx_created_at_id as (id, created_at), the order upgraded installs still have.
SchemaPlan PlanSchema(std::string_view schema, bool legacy_index);

}  // namespace sim
