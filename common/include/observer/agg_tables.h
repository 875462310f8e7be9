// SQL for newapi-observer's own tables (schema/observer-tables.sql): the aggregator writes them, the exporter reads
// them for its restart-safe counter baseline and the JSON API.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "observer/db_client.h"
#include "observer/dialect.h"
#include "observer/newapi/usage.h"

namespace observer::agg {

// The rollups' hours_since_last cap (agg_active_hourly): distinct counts are exact over runs of up to this many hours.
inline constexpr int64_t kActiveHoursCap = 25;

// The observer's tables are missing or the account may not read them: readers then fall back (to logs, or from the
// rollups to agg_usage_hourly) instead of failing.
bool NotReadable(const DbStatus& status);

// The aggregator's progress as agg_state records it.
struct Progress {
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  int64_t finalized_until = kNone;       // every hour before it is final in agg_usage_hourly
  int64_t rollups_until = kNone;         // every hour before it has its rollups
  int64_t active_values_from = kNone;    // agg_active_by_value holds the finalized hours from this one on
  int64_t rule_baselines_until = kNone;  // agg_rule_baselines holds the days before this hour
  // The rollups can answer for every finalized hour.
  bool rollups_ready() const {
    return finalized_until != kNone && rollups_until != kNone && rollups_until >= finalized_until;
  }
};

// Where the observer's tables live by default: new-api's database on MySQL (tables beside new-api's), a schema of
// its own in new-api's database on PostgreSQL (the writer may create tables there, not in public).
std::string DefaultContainer(DbEngine engine, const std::string& database);

// The observer's tables, qualified with the database (MySQL) or schema (PostgreSQL) that holds them (AGG_DB_NAME).
class AggTables {
 public:
  AggTables(const Dialect& dialect, const std::string& container);

  const Dialect& dialect() const { return dialect_; }
  // The database or schema of the tables.
  const std::string& database() const { return database_; }
  const std::string& usage() const { return usage_; }
  const std::string& usage_by_user() const { return usage_by_user_; }
  const std::string& usage_by_token() const { return usage_by_token_; }
  const std::string& usage_by_model_channel() const { return usage_by_model_channel_; }
  const std::string& active() const { return active_; }
  // agg_active_hourly per model, channel and group.
  const std::string& active_by_value() const { return active_by_value_; }
  const std::string& state() const { return state_; }
  const std::string& rule_baselines() const { return rule_baselines_; }
  // big_request's per-hour tables.
  const std::string& request_sizes() const { return request_sizes_; }
  const std::string& largest_requests() const { return largest_requests_; }
  // burst's, multi_user_token's and ip_many_users's per-hour tables.
  const std::string& token_minute_peaks() const { return token_minute_peaks_; }
  const std::string& rule_windows() const { return rule_windows_; }
  const std::string& burst_windows() const { return burst_windows_; }

  // Columns name, value: the rows of Progress.
  std::string ReadProgressSql() const;
  static Progress ProgressFrom(const QueryResult& result);
  // Upserts one agg_state row (finalized_until or rollups_until).
  std::string WriteStateSql(std::string_view name, int64_t value, int64_t now) const;

  // Totals per exporter label set (model, channel, group, stream) over the hours before boundary, from the
  // model/channel rollup when it covers them, else from agg_usage_hourly; read with BaselineRowsFrom.
  std::string BaselineSql(int64_t boundary, bool from_rollup) const;

  // The statements that bring the user, token and model/channel rollups of one hour in line with agg_usage_hourly
  // (run inside the transaction that wrote the hour): stale keys deleted, the rest upserted with absolute values
  // (unchanged rows are not rewritten).
  std::vector<std::string> DeriveUsageRollupsSql(int64_t hour) const;
  // The hour's agg_active_hourly rows, recomputed from the user and token rollups of the hour and the 25 before it
  // (so they are exact once those hours are final).
  std::vector<std::string> DeriveActiveSql(int64_t hour) const;

 private:
  Dialect dialect_;
  std::string database_;
  std::string usage_;
  std::string usage_by_user_;
  std::string usage_by_token_;
  std::string usage_by_model_channel_;
  std::string active_;
  std::string active_by_value_;
  std::string state_;
  std::string rule_baselines_;
  std::string request_sizes_;
  std::string largest_requests_;
  std::string token_minute_peaks_;
  std::string rule_windows_;
  std::string burst_windows_;
};

// The hours [from, until) a group of per-hour tables holds: the hours the aggregator finalized since it first wrote
// them (the agg_state row `from_state`).
struct HourCover {
  int64_t from = 0;
  int64_t until = 0;
  bool empty() const { return from >= until; }
};
// An empty cover when agg_state lacks either row, nothing is finalized yet, or agg_state or one of `tables` is not
// readable (NotReadable: an account granted agg_state but not the tables reads logs).
DbStatus ReadHourCover(DbClient& db, const AggTables& tables, const std::string& from_state,
                       const std::vector<std::string>& tables_read, HourCover* out);

// One row of BaselineSql.
struct BaselineRow {
  std::string model_name;
  int64_t channel_id = 0;
  std::string group;
  bool is_stream = false;
  newapi::UsageSums sums;
};
std::vector<BaselineRow> BaselineRowsFrom(const QueryResult& result);

inline constexpr std::string_view kUsageKeyColumns =
    "hour, user_id, token_id, model_name, channel_id, \"group\", is_stream";
// The measure columns of the usage tables, in newapi::kUsageMeasures order: "reqs, errors, ...".
std::string MeasureColumns();
// An agg_usage_hourly row's columns: kUsageKeyColumns, then the measures.
std::string UsageColumns();
// The measures of sums as SQL values in MeasureColumns order: "1,0,...".
std::string MeasureValues(const newapi::UsageSums& sums);

// The upsert tail of agg_usage_hourly rows (key kUsageKeyColumns): absolute values, so a re-run writes the same
// numbers, never adds to them.
std::string UsageUpsertClause(const Dialect& dialect);
// The same for another usage table (a rollup) named `table`, keyed by hour and key_columns.
std::string UpsertClauseOf(const Dialect& dialect, const std::string& table, const std::string& key_columns);

}  // namespace observer::agg
