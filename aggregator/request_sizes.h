// big_request's per-hour tables (agg_request_sizes_hourly, agg_largest_requests), computed from one hour's logs rows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "observer/agg_tables.h"
#include "observer/newapi/logs.h"
#include "observer/rules/sql_rules.h"

namespace aggregator {

// One of the largest requests of a model-hour, with what the allow-list tests.
struct LargeRequest {
  int64_t id = 0;
  int64_t created_at = 0;
  int64_t tokens = 0;
  int64_t user_id = 0;
  int64_t token_id = 0;
  int64_t channel_id = 0;
  std::string ip;
};

// Larger requests first; equal sizes by id.
struct LargerFirst {
  bool operator()(const LargeRequest& a, const LargeRequest& b) const {
    return a.tokens != b.tokens ? a.tokens > b.tokens : a.id < b.id;
  }
};

// The rows of one hour that big_request reads (RowsOf(Rule::kBigRequest)), per model (the exact bytes of
// model_name): how many requests of each size, and the observer::rules::kLargestPerModelHour largest.
class RequestSizes {
 public:
  struct Model {
    observer::rules::SizeCounts sizes;
    std::set<LargeRequest, LargerFirst> largest;
  };

  // Rows big_request does not read are ignored.
  void Add(const observer::newapi::LogRow& row);
  const std::map<std::string, Model>& models() const { return models_; }

  // The statements that replace the hour's rows of both tables with these (absolute: a re-run writes the same rows).
  std::vector<std::string> WriteStatements(const observer::agg::AggTables& tables, int64_t hour, size_t batch,
                                           const std::function<std::string(std::string_view)>& quote) const;

 private:
  std::map<std::string, Model> models_;
};

}  // namespace aggregator
