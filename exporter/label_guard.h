// Bounds the values one metric label may take: the first `cap` distinct values pass, later ones fold into "other",
// so a flood of model names or channel ids cannot grow the series count without limit. Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_set>

namespace exporter {

class LabelGuard {
 public:
  static constexpr const char* kOther = "other";

  explicit LabelGuard(size_t cap) : cap_(cap) {}
  // The value itself if admitted (or room is left), else "other". Empty values become "unknown".
  std::string Admit(const std::string& value);
  // Distinct values folded into "other" so far (remembered up to a bound, then only counted).
  uint64_t folded() const;

 private:
  static constexpr size_t kFoldedRemembered = 100000;

  size_t cap_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> admitted_;
  std::unordered_set<std::string> folded_values_;
  uint64_t folded_ = 0;
};

}  // namespace exporter
