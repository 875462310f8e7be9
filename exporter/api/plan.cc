// Splitting bucketed ranges between agg_usage_hourly and logs.
#include "api/plan.h"

#include <algorithm>

#include "observer/agg_tables.h"

namespace exporter::api {
namespace {

constexpr int64_t kHour = 3600;
using observer::agg::kActiveHoursCap;

int64_t FloorHour(int64_t t) { return t - ((t % kHour) + kHour) % kHour; }
int64_t CeilHour(int64_t t) { return FloorHour(t + kHour - 1); }

void Append(std::vector<Segment>* segments, int64_t start, int64_t end) {
  if (start >= end) return;
  if (!segments->empty() && segments->back().end == start) {
    segments->back().end = end;
  } else {
    segments->push_back({start, end});
  }
}

}  // namespace

Plan MakePlan(const std::vector<int64_t>& boundaries, int64_t finalized_until) {
  Plan plan;
  plan.bucket_starts.assign(boundaries.begin(), boundaries.end() - 1);
  plan.end = boundaries.back();
  for (size_t i = 0; i + 1 < boundaries.size(); ++i) {
    const int64_t start = boundaries[i], end = boundaries[i + 1];
    const int64_t first_hour = CeilHour(start);
    const int64_t hours_end = std::min(FloorHour(end), std::max(finalized_until, first_hour));
    if (first_hour < hours_end) {
      const bool whole = first_hour == start && hours_end == end && end - start <= kActiveHoursCap * kHour;
      Append(&plan.logs, start, first_hour);
      Append(whole ? &plan.hourly_whole : &plan.hourly_mixed, first_hour, hours_end);
      Append(&plan.logs, hours_end, end);
    } else {
      Append(&plan.logs, start, end);
    }
  }
  return plan;
}

const char* PlanSources(const Plan& plan) {
  if (!plan.reads_hourly()) return "logs";
  return plan.logs.empty() ? "hourly" : "hourly+logs";
}

bool NewInBucket(const Plan& plan, int64_t hour, int64_t hours_since_last, size_t* bucket) {
  if (plan.bucket_starts.empty() || hour < plan.bucket_starts.front() || hour >= plan.end) return false;
  const auto next = std::upper_bound(plan.bucket_starts.begin(), plan.bucket_starts.end(), hour);
  *bucket = static_cast<size_t>(next - plan.bucket_starts.begin()) - 1;
  return hour - hours_since_last * kHour < plan.bucket_starts[*bucket];
}

}  // namespace exporter::api
