// Query planning for the usage endpoints: which parts of a range read agg_usage_hourly and which read `logs`. Pure.
//
// The rule: inside each bucket, the whole hours before the aggregator's finalized_until read agg_usage_hourly or its
// rollups (finalized hours never change, so they are exact); the rest of the bucket (a partial hour at either edge,
// buckets smaller than an hour, hours not yet finalized, everything when the aggregator has not run) reads `logs` by
// created_at ranges. Sums add up across the parts; distinct users and tokens do not: a bucket read wholly from the
// hourly tables counts them with agg_active_hourly, any other bucket over the union of its parts' (bucket, user,
// token) rows. So a 7-day series by hour or day reads the hourly tables except for the last hours, a 1-hour series
// by minute reads logs, and a series across the seam reads each where it is exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "observer/agg_tables.h"

namespace exporter::api {

// [start, end) in unix seconds.
struct Segment {
  int64_t start = 0;
  int64_t end = 0;
  bool operator==(const Segment&) const = default;
};

// Segments are merged where adjacent.
struct Plan {
  std::vector<int64_t> bucket_starts;
  int64_t end = 0;
  std::vector<Segment> hourly_whole;  // the hours of buckets read wholly from the hourly tables (up to 25 hours long)
  std::vector<Segment> hourly_mixed;  // the whole hours of the other buckets
  std::vector<Segment> logs;
  bool reads_hourly() const { return !hourly_whole.empty() || !hourly_mixed.empty(); }
};

// No hour is finalized: everything reads logs.
inline constexpr int64_t kNothingFinalized = observer::agg::Progress::kNone;

// boundaries: the bucket starts followed by the range's end (at least two values, increasing).
Plan MakePlan(const std::vector<int64_t>& boundaries, int64_t finalized_until);

// "hourly", "logs" or "hourly+logs": which sources the plan reads (the X-Query-Source header).
const char* PlanSources(const Plan& plan);

// For an agg_active_hourly row of an hour in plan.hourly_whole: its bucket index, and whether its subjects are new
// to that bucket (their previous hour with requests is before the bucket's start) and so count towards its distinct
// total. False for hours outside the range.
bool NewInBucket(const Plan& plan, int64_t hour, int64_t hours_since_last, size_t* bucket);

}  // namespace exporter::api
