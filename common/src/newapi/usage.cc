// The usage counting rules, in C++ and as SQL, both from kUsageMeasures.
#include "observer/newapi/usage.h"

#include <algorithm>

namespace observer::newapi {
namespace {

int64_t ValueOf(const LogRow& row, UsageSource source) {
  switch (source) {
    case UsageSource::kRow: return 1;
    case UsageSource::kPromptTokens: return std::max<int64_t>(row.prompt_tokens, 0);
    case UsageSource::kCompletionTokens: return std::max<int64_t>(row.completion_tokens, 0);
    case UsageSource::kCacheTokens: return std::max<int64_t>(row.cache_tokens, 0);
    case UsageSource::kQuota: return std::max<int64_t>(row.quota, 0);
    case UsageSource::kUseTime: return std::max<int64_t>(row.use_time, 0);
  }
  return 0;
}

// The same values of a `logs` row in SQL ("" for what only `other` holds).
std::string ValueSql(UsageSource source) {
  auto positive = [](const char* column) { return "GREATEST(COALESCE(" + std::string(column) + ", 0), 0)"; };
  switch (source) {
    case UsageSource::kRow: return "1";
    case UsageSource::kPromptTokens: return positive("prompt_tokens");
    case UsageSource::kCompletionTokens: return positive("completion_tokens");
    case UsageSource::kCacheTokens: return "";
    case UsageSource::kQuota: return positive("quota");
    case UsageSource::kUseTime: return positive("use_time");
  }
  return "";
}

}  // namespace

void UsageSums::Add(const UsageSums& o) {
  for (const UsageMeasure& m : kUsageMeasures) {
    this->*m.member = m.largest ? std::max(this->*m.member, o.*m.member) : this->*m.member + o.*m.member;
  }
}

bool AddUsage(const LogRow& row, UsageSums* sums) {
  if (!kUsageTypes.Has(row.type)) return false;
  for (const UsageMeasure& m : kUsageMeasures) {
    if (!m.types.Has(row.type)) continue;
    const int64_t value = ValueOf(row, m.source);
    sums->*m.member = m.largest ? std::max(sums->*m.member, value) : sums->*m.member + value;
  }
  return true;
}

const UsageMeasure& UsageMeasureOf(int64_t UsageSums::*member) {
  for (const UsageMeasure& m : kUsageMeasures) {
    if (m.member == member) return m;
  }
  return kUsageMeasures[0];  // unreachable: every member has a measure
}

std::string UsageRowSql(int64_t UsageSums::*member) {
  const UsageMeasure& m = UsageMeasureOf(member);
  const std::string value = ValueSql(m.source);
  return value.empty() ? "" : "CASE WHEN " + m.types.Sql() + " THEN " + value + " ELSE 0 END";
}

}  // namespace observer::newapi
