// What the collectors learn about the running gateway and the JSON API reports (GET /api/info): the instance's
// QuotaPerUnit, the unit it displays money in and how much of the recent traffic each risk rule can see.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "display_unit.h"

namespace exporter {

inline constexpr double kDefaultQuotaPerUnit = 500000;  // new-api's default: 500000 quota units = 1 USD

struct LiveFacts {
  std::atomic<double> quota_per_unit{kDefaultQuotaPerUnit};  // options.QuotaPerUnit, kept by the entities collector
  std::atomic<bool> quota_per_unit_read{false};              // set once the entities collector has read it
  std::atomic<double> ip_share{-1};  // share of recent consume rows with an IP (kept by the tailer); -1 before any

  // new-api's display unit, kept by the entities collector (USD until it has read the options).
  DisplayUnit display() const {
    std::lock_guard<std::mutex> lock(display_mutex_);
    return display_;
  }
  void set_display(DisplayUnit unit) {
    std::lock_guard<std::mutex> lock(display_mutex_);
    display_ = std::move(unit);
  }

 private:
  mutable std::mutex display_mutex_;
  DisplayUnit display_;
};

// Share of recent consume rows each rule can see: the IP rules only see users with record_ip_log on; burst and
// big_request see every consume row. Empty before any row.
inline std::map<std::string, double> RuleCoverage(double ip_share) {
  if (ip_share < 0) return {};
  return {{"burst", 1}, {"big_request", 1}, {"multi_user_token", ip_share}, {"ip_many_users", ip_share}};
}

}  // namespace exporter
