// Entity gauges from users, tokens, channels and options, refreshed on an interval (never per scrape): status
// counts, channel info/balance/response time, QuotaPerUnit for the spend counter and the display unit.
#pragma once

#include <atomic>
#include <memory>

#include "collectors/collector.h"
#include "live_facts.h"
#include "observer/snapshot_collectable.h"

namespace exporter {

class EntitiesCollector : public Collector {
 public:
  EntitiesCollector(std::chrono::milliseconds interval,
                    std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots, LiveFacts& facts);

  std::string name() const override { return "entities"; }
  std::chrono::milliseconds interval() const override { return interval_; }
  observer::DbStatus Refresh(observer::DbClient& db) override;

 private:
  std::chrono::milliseconds interval_;
  std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots_;
  LiveFacts& facts_;  // receives QuotaPerUnit and the display unit
};

// Status names used as label values (new-api's numeric codes; unknown codes stay numeric).
const char* UserStatusName(int64_t status);
const char* TokenStatusName(int64_t status);
const char* ChannelStatusName(int64_t status);

}  // namespace exporter
