// burst, multi_user_token and ip_many_users over a time range from the aggregator's per-hour tables
// (agg_burst_windows, agg_token_minute_peaks, agg_rule_windows) for the hours they cover, and from `logs` for the
// others: the same findings as EvaluateRule (sql_rules.h) without reading the whole range of logs. EvaluateRuleFrom
// answers every rule this way (big_request through big_request_agg.h).
//
// How the tables are read:
// - burst with the stored window (60 s), no allow-list and a lowest limit of at least kLeastStoredBurstRows: the
//   stored windows (agg_burst_windows: per hour, token and count, the anchors with that count) answer the hours the
//   range's anchors fill; in an hour the range cuts, the tokens with a stored window at their limit are the
//   candidates, counted exactly in logs over the cut part only.
// - burst otherwise: a sliding window of W seconds overlaps at most ceil(W / 60) + 1 tumbling minutes, so a window
//   reaching the lowest limit L has a minute with at least ceil(L / that) rows. The tokens with such a minute (stored
//   peaks, which count allow-listed rows too: an upper bound) are the candidates; BurstSql counts their windows
//   exactly in logs, over [hour - W, hour + 3600 + W) of each candidate hour only.
// - multi_user_token and ip_many_users with the stored window (10 minutes): without an allow-list the stored distinct
//   counts are the windows' counts; with one they are upper bounds that pick the (subject, window) candidates, counted
//   again in logs without the allow-listed rows. Another window size reads logs.
#pragma once

#include <string>
#include <vector>

#include "observer/agg_tables.h"
#include "observer/db_client.h"
#include "observer/rules/sql_rules.h"

namespace observer::rules {

// agg_rule_windows' window: the rules' default, a divisor of an hour (an hour holds whole windows).
inline constexpr int64_t kStoredRuleWindowSec = 600;
static_assert(3600 % kStoredRuleWindowSec == 0);
// Peaks and distinct counts below this are not stored: no limit is that low (thresholds start at 2), and a pre-filter
// needing less reads logs.
inline constexpr int64_t kLeastStoredCount = 2;

// agg_burst_windows' window: the rules' default. Counts below kLeastStoredBurstRows are not stored: a lowest limit
// under it (or another window, or an allow-list) takes its candidates from agg_token_minute_peaks instead.
inline constexpr int64_t kStoredBurstWindowSec = 60;
inline constexpr int64_t kLeastStoredBurstRows = 20;
static_assert(Thresholds{}.burst_window_sec == kStoredBurstWindowSec);

// The hours both tables hold (agg_state rule_windows_from on).
DbStatus ReadRuleWindowsCover(DbClient& db, const agg::AggTables& tables, agg::HourCover* out);
// The hours agg_burst_windows holds (agg_state burst_windows_from on).
DbStatus ReadBurstWindowsCover(DbClient& db, const agg::AggTables& tables, agg::HourCover* out);

// EvaluateRule's findings, ordered the same way, from the aggregator's tables where they hold the range's hours.
// *source (when not null): "hourly", "logs" or "hourly+logs", what was read.
DbStatus EvaluateRuleFrom(DbClient& db, const agg::AggTables& tables, Rule rule, const Thresholds& t,
                          const AllowList& allow, TimeRange range, const Baselines& baselines,
                          std::vector<Finding>* out, std::string* source = nullptr);

}  // namespace observer::rules
