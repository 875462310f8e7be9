// The usage counting rules.
#include "observer/newapi/usage.h"

#include <algorithm>

namespace observer::newapi {

void UsageSums::Add(const UsageSums& o) {
  reqs += o.reqs;
  errors += o.errors;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  cached_tokens += o.cached_tokens;
  quota += o.quota;
  refunded_quota += o.refunded_quota;
  use_time_sum += o.use_time_sum;
  use_time_max = std::max(use_time_max, o.use_time_max);
}

bool AddUsage(const LogRow& row, UsageSums* sums) {
  switch (row.type) {
    case kLogConsume:
      sums->reqs += 1;
      sums->prompt_tokens += std::max<int64_t>(row.prompt_tokens, 0);
      sums->completion_tokens += std::max<int64_t>(row.completion_tokens, 0);
      sums->cached_tokens += std::max<int64_t>(row.cache_tokens, 0);
      sums->quota += std::max<int64_t>(row.quota, 0);
      sums->use_time_sum += std::max<int64_t>(row.use_time, 0);
      sums->use_time_max = std::max(sums->use_time_max, row.use_time);
      return true;
    case kLogError:
      sums->reqs += 1;
      sums->errors += 1;
      return true;
    case kLogRefund:
      sums->refunded_quota += std::max<int64_t>(row.quota, 0);
      return true;
    default:
      return false;
  }
}

}  // namespace observer::newapi
