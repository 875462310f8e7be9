// The JSON API's handlers: each computes an Answer from normalized parameters on one leased connection. One file per
// resource: stats.cc (series, top, active, heatmap), anomalies.cc (findings and their detail), logs.cc (rows by
// subject).
#pragma once

#include <atomic>
#include <memory>

#include "api/answer.h"
#include "api/entity_names.h"
#include "api/params.h"
#include "live_facts.h"
#include "observer/agg_tables.h"
#include "observer/db_client.h"
#include "risk_config.h"

namespace exporter::api {

struct ApiContext {
  observer::agg::AggTables tables;
  std::shared_ptr<const RiskConfig> risk;
  std::shared_ptr<const LiveFacts> facts;
  std::shared_ptr<EntityNames> names = nullptr;  // set by Api
  // Cleared when the account turns out not to read the rollup tables: answers then come from agg_usage_hourly.
  std::shared_ptr<std::atomic<bool>> rollups_readable = std::make_shared<std::atomic<bool>>(true);
  // Cleared when the account turns out not to read agg_active_by_value.
  std::shared_ptr<std::atomic<bool>> active_values_readable = std::make_shared<std::atomic<bool>>(true);
};

Answer Series(const SeriesParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer Top(const TopParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer Active(const ActiveParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer Heatmap(const HeatmapParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer Anomalies(const AnomalyParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer AnomalyDetail(const AnomalyParams& p, observer::DbClient& db, const ApiContext& ctx);
Answer Logs(const LogsParams& p, observer::DbClient& db, const ApiContext& ctx);

}  // namespace exporter::api
