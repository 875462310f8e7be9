// Which `logs` ids have been counted: a cursor plus the holes below it. Auto-increment ids are not committed in
// order, so an id skipped by a batch may still appear (a late commit) or never (a rolled-back insert); holes are
// re-checked until a grace period ends, so each row is counted exactly once and none is lost. Pure; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace exporter {

class TailCursor {
 public:
  struct Options {
    size_t max_holes = 20000;    // ids beyond this are not tracked (counted in untracked_ids)
    int64_t grace_seconds = 60;  // how long a hole is re-checked
  };

  TailCursor(int64_t start_id, Options options);

  // Every row read goes through here, from tail batches and hole re-checks alike. Returns true when the row must be
  // counted (new, or a hole being filled) and false when it was counted before.
  bool Accept(int64_t id, int64_t now_seconds);
  // Holes to re-check, lowest id first, at most limit.
  std::vector<int64_t> Holes(size_t limit) const;
  // Gives up on holes older than the grace period; returns how many.
  size_t ExpireHoles(int64_t now_seconds);

  int64_t cursor() const { return cursor_; }
  size_t hole_count() const { return holes_.size(); }
  uint64_t untracked_ids() const { return untracked_ids_; }

 private:
  Options options_;
  int64_t cursor_;
  std::map<int64_t, int64_t> holes_;  // id -> unix seconds when it was first seen missing
  uint64_t untracked_ids_ = 0;
};

}  // namespace exporter
