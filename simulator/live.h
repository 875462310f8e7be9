// Live traffic: writer threads inserting single rows like new-api's GORM inserts (with rolled-back and late-
// committed transactions), batched counter updates, and the scheduled anomaly / decoy injector.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "catalog.h"
#include "entities.h"
#include "observer/db_client.h"

namespace sim {

struct LiveOptions {
  observer::DbOptions db;       // users, tokens, channels, quota_data: the batched counter updates
  observer::DbOptions logs_db;  // the logs inserts (db unless logs live in a database of their own)
  uint64_t seed = 42;
  double rate = 20;  // rows per second, all writers together
  int writers = 3;
  int anomaly_interval = 120;    // seconds between injections; 0 = none
  int first_anomaly_after = 30;  // seconds after start
  std::string injections_file;   // JSONL, one line per injection ("" = none)
};

// Runs until stop becomes true; returns the process exit code.
int RunLive(const Catalog& catalog, const Population& population, const LiveOptions& options,
            const std::atomic<bool>& stop);

}  // namespace sim
