// Query planning for the usage endpoints: which parts of a range read agg_usage_hourly and which read `logs`. Pure.
//
// The rule: inside each bucket, the whole hours before the aggregator's finalized_until read agg_usage_hourly
// (finalized hours never change, so they are exact); the rest of the bucket (a partial hour at either edge, buckets
// smaller than an hour, hours not yet finalized, everything when the aggregator has not run) reads `logs` by
// created_at ranges. A bucket is read from both only when its counts add up: distinct users and tokens are counted
// over the union of both parts' (bucket, user, token) rows, never added. So a 7-day series by hour or day reads the
// hourly table except for the last hours, a 1-hour series by minute reads logs, and a series across the seam reads
// each where it is exact.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace exporter::api {

// [start, end) in unix seconds.
struct Segment {
  int64_t start = 0;
  int64_t end = 0;
  bool operator==(const Segment&) const = default;
};

struct Plan {
  std::vector<int64_t> bucket_starts;
  int64_t end = 0;
  std::vector<Segment> hourly;  // whole hours, merged where adjacent
  std::vector<Segment> logs;
};

// No hour is finalized: everything reads logs.
inline constexpr int64_t kNothingFinalized = std::numeric_limits<int64_t>::min();

// boundaries: the bucket starts followed by the range's end (at least two values, increasing).
Plan MakePlan(const std::vector<int64_t>& boundaries, int64_t finalized_until);

// "hourly", "logs" or "hourly+logs": which sources the plan reads (the X-Query-Source header).
const char* PlanSources(const Plan& plan);

}  // namespace exporter::api
