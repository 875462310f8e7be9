// SQL of the observer's own tables: progress rows, the exporter's baseline and the hourly rollups' derivation.
#include "observer/agg_tables.h"

namespace observer::agg {
namespace {

std::string Str(int64_t v) { return std::to_string(v); }

// The measures of a usage row, summed over the rows a rollup key covers.
constexpr std::string_view kSumMeasures =
    "SUM(reqs), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(quota), "
    "SUM(refunded_quota), SUM(use_time_sum), MAX(use_time_max)";
const std::vector<std::string> kMeasureList = {"reqs",  "errors",         "prompt_tokens", "completion_tokens", "cached_tokens",
                                               "quota", "refunded_quota", "use_time_sum",  "use_time_max"};
constexpr std::string_view kMeasureColumns =
    "reqs, errors, prompt_tokens, completion_tokens, cached_tokens, quota, refunded_quota, use_time_sum, use_time_max";

}  // namespace

bool NotReadable(const DbStatus& status) {
  return !status.ok && (status.error == DbError::kNoSuchTable || status.error == DbError::kPermissionDenied ||
                        status.error == DbError::kNoSuchDatabase);
}

std::string UsageUpsertClause(const Dialect& dialect) { return dialect.UpsertClause("agg_usage_hourly", kUsageKeyColumns, kMeasureList); }

std::string DefaultContainer(DbEngine engine, const std::string& database) {
  return engine == DbEngine::kPostgres ? "observer" : database;
}

AggTables::AggTables(const Dialect& dialect, const std::string& container)
    : dialect_(dialect),
      database_(container),
      usage_(dialect.Table(container, "agg_usage_hourly")),
      usage_by_user_(dialect.Table(container, "agg_usage_hourly_by_user")),
      usage_by_token_(dialect.Table(container, "agg_usage_hourly_by_token")),
      usage_by_model_channel_(dialect.Table(container, "agg_usage_hourly_by_model_channel")),
      active_(dialect.Table(container, "agg_active_hourly")),
      state_(dialect.Table(container, "agg_state")),
      rule_baselines_(dialect.Table(container, "agg_rule_baselines")) {}

std::string AggTables::ReadProgressSql() const {
  return "SELECT name, value FROM " + state_ + " WHERE name IN ('finalized_until', 'rollups_until')";
}

Progress AggTables::ProgressFrom(const QueryResult& result) {
  Progress progress;
  for (const DbRow& row : result.rows) {
    if (!row[0] || !row[1]) continue;
    if (*row[0] == "finalized_until") progress.finalized_until = std::stoll(*row[1]);
    if (*row[0] == "rollups_until") progress.rollups_until = std::stoll(*row[1]);
  }
  return progress;
}

std::string AggTables::WriteStateSql(std::string_view name, int64_t value, int64_t now) const {
  return "INSERT INTO " + state_ + " (name, value, updated_at) VALUES ('" + std::string(name) + "', " + Str(value) +
         ", " + Str(now) + ")" +
         dialect_.UpsertClause("agg_state", "name", {"value", "updated_at"});
}

std::string AggTables::BaselineSql(int64_t boundary, bool from_rollup) const {
  return "SELECT model_name, channel_id, \"group\", is_stream, " + std::string(kSumMeasures) + " FROM " +
         (from_rollup ? usage_by_model_channel_ : usage_) + " WHERE hour < " + Str(boundary) +
         " GROUP BY model_name, channel_id, \"group\", is_stream";
}

std::vector<std::string> AggTables::DeriveUsageRollupsSql(int64_t hour) const {
  const std::string at = " WHERE hour = " + Str(hour);
  std::vector<std::string> statements;
  auto rollup = [&](const std::string& table, const char* name, const std::string& keys) {
    statements.push_back("DELETE FROM " + table + at + " AND (" + keys + ") NOT IN (SELECT " + keys + " FROM " +
                         usage_ + at + ")");
    statements.push_back("INSERT INTO " + table + " (hour, " + keys + ", " + std::string(kMeasureColumns) +
                         ") SELECT hour, " + keys + ", " + std::string(kSumMeasures) + " FROM " + usage_ + at +
                         " GROUP BY hour, " + keys + dialect_.UpsertClause(name, "hour, " + keys, kMeasureList));
  };
  rollup(usage_by_user_, "agg_usage_hourly_by_user", "user_id");
  rollup(usage_by_token_, "agg_usage_hourly_by_token", "token_id");
  rollup(usage_by_model_channel_, "agg_usage_hourly_by_model_channel", "model_name, channel_id, \"group\", is_stream");
  return statements;
}

std::vector<std::string> AggTables::DeriveActiveSql(int64_t hour) const {
  const std::string at = " WHERE hour = " + Str(hour);
  std::vector<std::string> statements;
  // A few dozen rows per hour: replaced whole. One range of the rollup's primary key: the hour and the cap's hours
  // before it, whatever the length of the history.
  statements.push_back("DELETE FROM " + active_ + at);
  auto active = [&](const char* kind, const std::string& table, const char* id) {
    const std::string h = Str(hour), cap = Str(kActiveHoursCap);
    statements.push_back("INSERT INTO " + active_ + " (hour, kind, hours_since_last, active) SELECT " + h + ", '" +
                         kind + "', COALESCE(LEAST(" + dialect_.IntDiv(h + " - previous", 3600) + ", " + cap + "), " + cap +
                         ") AS since, COUNT(*) FROM (SELECT MAX(CASE WHEN hour < " + h + " THEN hour END) AS previous FROM " +
                         table + " WHERE hour >= " + Str(hour - kActiveHoursCap * 3600) + " AND hour <= " + h +
                         " AND reqs > 0 AND " + id + " <> 0 GROUP BY " + id + " HAVING MAX(hour) = " + h +
                         ") s GROUP BY 3");
  };
  active("user", usage_by_user_, "user_id");
  active("token", usage_by_token_, "token_id");
  return statements;
}

}  // namespace observer::agg
