// How a `logs` row counts as usage: the one definition shared by the exporter's counters and the aggregator's
// hourly table, so the two always agree. Pure.
#pragma once

#include <cstdint>

#include "observer/newapi/logs.h"

namespace observer::newapi {

struct UsageSums {
  int64_t reqs = 0;               // consume and error rows
  int64_t errors = 0;             // error rows
  int64_t prompt_tokens = 0;      // consume rows
  int64_t completion_tokens = 0;  // consume rows
  int64_t cached_tokens = 0;      // consume rows, other.cache_tokens (part of prompt_tokens)
  int64_t quota = 0;              // consume rows; a negative quota (a correction) counts as 0
  int64_t refunded_quota = 0;     // refund rows
  int64_t use_time_sum = 0;       // consume rows, seconds
  int64_t use_time_max = 0;       // consume rows, seconds

  void Add(const UsageSums& other);
  bool operator==(const UsageSums&) const = default;
};

// True for the usage types (consume 2, error 5, refund 6); adds the row's contribution to *sums.
bool AddUsage(const LogRow& row, UsageSums* sums);

}  // namespace observer::newapi
