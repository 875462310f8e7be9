// What the log tail hands every counted `logs` row to: one sink per concern (usage counters, Top-K, coverage, risk
// rules), each holding its own state and metrics, and testable without a database.
#pragma once

#include <cstdint>

#include "observer/newapi/logs.h"

namespace exporter::tail {

class Sink {
 public:
  virtual ~Sink() = default;
  // One row, handed over exactly once; now is when it was read, in unix seconds.
  virtual void Observe(const observer::newapi::LogRow& row, int64_t now) = 0;
  // After every refresh of the tail: brings what the sink publishes up to date.
  virtual void Publish(int64_t now) = 0;
};

}  // namespace exporter::tail
