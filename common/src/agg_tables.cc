// SQL of the observer's own tables: progress rows, the exporter's baseline and the hourly rollups' derivation.
#include "observer/agg_tables.h"

namespace observer::agg {
namespace {

std::string Str(int64_t v) { return std::to_string(v); }

// The measures of a usage row, summed (or the largest taken) over the rows a rollup key covers.
std::string SumMeasures() {
  std::string out;
  for (const newapi::UsageMeasure& m : newapi::kUsageMeasures) {
    out += std::string(out.empty() ? "" : ", ") + (m.largest ? "MAX(" : "SUM(") + m.column + ")";
  }
  return out;
}

std::vector<std::string> MeasureList() {
  std::vector<std::string> out;
  for (const newapi::UsageMeasure& m : newapi::kUsageMeasures) out.push_back(m.column);
  return out;
}

}  // namespace

std::string MeasureColumns() {
  std::string out;
  for (const newapi::UsageMeasure& m : newapi::kUsageMeasures) out += std::string(out.empty() ? "" : ", ") + m.column;
  return out;
}

std::string UsageColumns() { return std::string(kUsageKeyColumns) + ", " + MeasureColumns(); }

std::string MeasureValues(const newapi::UsageSums& sums) {
  std::string out;
  for (const newapi::UsageMeasure& m : newapi::kUsageMeasures) {
    out += (out.empty() ? "" : ",") + std::to_string(sums.*m.member);
  }
  return out;
}

bool NotReadable(const DbStatus& status) {
  return !status.ok && (status.error == DbError::kNoSuchTable || status.error == DbError::kPermissionDenied ||
                        status.error == DbError::kNoSuchDatabase);
}

std::string UsageUpsertClause(const Dialect& dialect) {
  return dialect.UpsertClause("agg_usage_hourly", kUsageKeyColumns, MeasureList());
}

std::string UpsertClauseOf(const Dialect& dialect, const std::string& table, const std::string& key_columns) {
  return dialect.UpsertClause(table, "hour, " + key_columns, MeasureList());
}

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
      active_by_value_(dialect.Table(container, "agg_active_by_value")),
      state_(dialect.Table(container, "agg_state")),
      rule_baselines_(dialect.Table(container, "agg_rule_baselines")),
      request_sizes_(dialect.Table(container, "agg_request_sizes_hourly")),
      largest_requests_(dialect.Table(container, "agg_largest_requests")),
      token_minute_peaks_(dialect.Table(container, "agg_token_minute_peaks")),
      rule_windows_(dialect.Table(container, "agg_rule_windows")),
      burst_windows_(dialect.Table(container, "agg_burst_windows")) {}

std::string AggTables::ReadProgressSql() const {
  return "SELECT name, value FROM " + state_ +
         " WHERE name IN ('finalized_until', 'rollups_until', 'active_values_from', 'rule_baselines_until')";
}

Progress AggTables::ProgressFrom(const QueryResult& result) {
  Progress progress;
  for (const DbRow& row : result.rows) {
    if (!row[0] || !row[1]) continue;
    if (*row[0] == "finalized_until") progress.finalized_until = std::stoll(*row[1]);
    if (*row[0] == "rollups_until") progress.rollups_until = std::stoll(*row[1]);
    if (*row[0] == "active_values_from") progress.active_values_from = std::stoll(*row[1]);
    if (*row[0] == "rule_baselines_until") progress.rule_baselines_until = std::stoll(*row[1]);
  }
  return progress;
}

std::string AggTables::WriteStateSql(std::string_view name, int64_t value, int64_t now) const {
  return "INSERT INTO " + state_ + " (name, value, updated_at) VALUES ('" + std::string(name) + "', " + Str(value) +
         ", " + Str(now) + ")" + dialect_.UpsertClause("agg_state", "name", {"value", "updated_at"});
}

std::string AggTables::BaselineSql(int64_t boundary, bool from_rollup) const {
  return "SELECT model_name, channel_id, \"group\", is_stream, " + SumMeasures() + " FROM " +
         (from_rollup ? usage_by_model_channel_ : usage_) + " WHERE hour < " + Str(boundary) +
         " GROUP BY model_name, channel_id, \"group\", is_stream";
}

std::vector<BaselineRow> BaselineRowsFrom(const QueryResult& result) {
  std::vector<BaselineRow> rows;
  for (const DbRow& row : result.rows) {
    auto number = [&row](size_t i) { return row[i] ? std::stoll(*row[i]) : 0LL; };
    BaselineRow r{row[0].value_or(""), number(1), row[2].value_or(""), number(3) != 0, {}};
    size_t column = 4;
    for (const newapi::UsageMeasure& m : newapi::kUsageMeasures) r.sums.*m.member = number(column++);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<std::string> AggTables::DeriveUsageRollupsSql(int64_t hour) const {
  const std::string at = " WHERE hour = " + Str(hour);
  std::vector<std::string> statements;
  auto rollup = [&](const std::string& table, const char* name, const std::string& keys) {
    statements.push_back("DELETE FROM " + table + at + " AND (" + keys + ") NOT IN (SELECT " + keys + " FROM " +
                         usage_ + at + ")");
    statements.push_back("INSERT INTO " + table + " (hour, " + keys + ", " + MeasureColumns() + ") SELECT hour, " +
                         keys + ", " + SumMeasures() + " FROM " + usage_ + at + " GROUP BY hour, " + keys +
                         dialect_.UpsertClause(name, "hour, " + keys, MeasureList()));
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
    statements.push_back(
        "INSERT INTO " + active_ + " (hour, kind, hours_since_last, active) SELECT " + h + ", '" + kind +
        "', COALESCE(LEAST(" + dialect_.IntDiv(h + " - previous", 3600) + ", " + cap + "), " + cap +
        ") AS since, COUNT(*) FROM (SELECT MAX(CASE WHEN hour < " + h + " THEN hour END) AS previous FROM " + table +
        " WHERE hour >= " + Str(hour - kActiveHoursCap * 3600) + " AND hour <= " + h + " AND reqs > 0 AND " + id +
        " <> 0 GROUP BY " + id + " HAVING MAX(hour) = " + h + ") s GROUP BY 3");
  };
  active("user", usage_by_user_, "user_id");
  active("token", usage_by_token_, "token_id");
  return statements;
}

DbStatus ReadHourCover(DbClient& db, const AggTables& tables, const std::string& from_state,
                       const std::vector<std::string>& tables_read, HourCover* out) {
  *out = {};
  QueryResult result;
  DbStatus status = db.Query("SELECT name, value FROM " + tables.state() + " WHERE name IN ('finalized_until', " +
                                 db.dialect().TextLiteral(from_state) + ")",
                             &result);
  if (NotReadable(status)) return DbStatus::Ok();
  if (!status.ok) return status;
  bool from_set = false, until_set = false;
  for (const DbRow& row : result.rows) {
    const std::string name = row[0].value_or("");
    if (name == "finalized_until") {
      out->until = DbInt(row[1]);
      until_set = true;
    } else if (name == from_state) {
      out->from = DbInt(row[1]);
      from_set = true;
    }
  }
  if (!from_set || !until_set) *out = {};
  for (size_t i = 0; !out->empty() && i < tables_read.size(); ++i) {
    status = db.Query("SELECT 1 FROM " + tables_read[i] + " WHERE 1 = 0", &result);
    if (NotReadable(status)) {
      *out = {};
      return DbStatus::Ok();
    }
    if (!status.ok) return status;
  }
  return DbStatus::Ok();
}

}  // namespace observer::agg
