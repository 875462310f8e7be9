// big_request's per-hour tables, computed from one hour's logs rows.
#include "request_sizes.h"

#include <algorithm>
#include <cstdio>

#include "observer/rules/rules.h"

namespace aggregator {
namespace {

// Seventeen significant digits: the stored double is the computed one, bit for bit.
std::string ExactDouble(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17e", value);
  return text;
}

}  // namespace

void RequestSizes::Add(const observer::newapi::LogRow& row) {
  if (!observer::rules::RowsOf(observer::rules::Rule::kBigRequest).Selects(row)) return;
  Model& m = models_[row.model_name];
  const int64_t tokens = row.prompt_tokens + row.completion_tokens;
  ++m.sizes[std::max<int64_t>(tokens, 0)];
  m.largest.insert({row.id, row.created_at, tokens, row.user_id, row.token_id, row.channel_id, row.ip});
  if (m.largest.size() > observer::rules::kLargestPerModelHour) m.largest.erase(std::prev(m.largest.end()));
}

std::vector<std::string> RequestSizes::WriteStatements(
    const observer::agg::AggTables& tables, int64_t hour, size_t batch,
    const std::function<std::string(std::string_view)>& quote) const {
  const std::string at = " WHERE hour = " + std::to_string(hour);
  std::vector<std::string> statements = {"DELETE FROM " + tables.request_sizes() + at,
                                         "DELETE FROM " + tables.largest_requests() + at};
  std::string sizes, largest;
  size_t sizes_pending = 0, largest_pending = 0;
  auto flush_sizes = [&] {
    if (sizes.empty()) return;
    statements.push_back("INSERT INTO " + tables.request_sizes() +
                         " (hour, model_name, requests, log_size_sum, log_size_squares) VALUES " + sizes);
    sizes.clear();
    sizes_pending = 0;
  };
  auto flush_largest = [&] {
    if (largest.empty()) return;
    statements.push_back("INSERT INTO " + tables.largest_requests() +
                         " (hour, model_name, id, created_at, tokens, user_id, token_id, channel_id, ip) VALUES " +
                         largest);
    largest.clear();
    largest_pending = 0;
  };
  for (const auto& [model, m] : models_) {
    const observer::rules::SizeStats stats = observer::rules::StatsOfSizes(m.sizes);
    sizes += std::string(sizes.empty() ? "" : ", ") + "(" + std::to_string(hour) + ", " + quote(model) + ", " +
             std::to_string(static_cast<int64_t>(stats.n)) + ", " + ExactDouble(stats.sum) + ", " +
             ExactDouble(stats.sum_squares) + ")";
    if (++sizes_pending >= batch) flush_sizes();
    for (const LargeRequest& r : m.largest) {
      largest += std::string(largest.empty() ? "" : ", ") + "(" + std::to_string(hour) + ", " + quote(model) + ", " +
                 std::to_string(r.id) + ", " + std::to_string(r.created_at) + ", " + std::to_string(r.tokens) + ", " +
                 std::to_string(r.user_id) + ", " + std::to_string(r.token_id) + ", " + std::to_string(r.channel_id) +
                 ", " + quote(r.ip) + ")";
      if (++largest_pending >= batch) flush_largest();
    }
  }
  flush_sizes();
  flush_largest();
  return statements;
}

}  // namespace aggregator
