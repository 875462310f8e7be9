// big_request over a time range from the aggregator's per-hour tables (agg_request_sizes_hourly for the size
// statistics, agg_largest_requests for the candidates) for the hours they cover, and from `logs` for the others: the
// same findings as the logs path (sql_rules.h), without reading every row of the baseline hours.
#pragma once

#include <string>
#include <vector>

#include "observer/agg_tables.h"
#include "observer/db_client.h"
#include "observer/rules/sql_rules.h"

namespace observer::rules {

// The hours both tables hold (agg_state request_sizes_from on).
using SizeTablesCover = agg::HourCover;
DbStatus ReadSizeTablesCover(DbClient& db, const agg::AggTables& tables, SizeTablesCover* out);

// QueryModelHourStats's answer (the range's hours and the baseline hours before it), read from the tables for the
// hours they cover. *source says where it came from: "agg_request_sizes_hourly", "logs", or both joined by "+".
DbStatus QueryModelHourStatsFrom(DbClient& db, const agg::AggTables& tables, const Thresholds& t, TimeRange range,
                                 ModelHourStats* out, std::string* source);

// EvaluateRule(Rule::kBigRequest)'s findings, ordered the same way.
DbStatus EvaluateBigRequestFrom(DbClient& db, const agg::AggTables& tables, const Thresholds& t, const AllowList& allow,
                                TimeRange range, std::vector<Finding>* out);

}  // namespace observer::rules
