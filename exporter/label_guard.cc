// Label value cap with an "other" bucket.
#include "label_guard.h"

namespace exporter {

std::string LabelGuard::Admit(const std::string& value) {
  const std::string& v = value.empty() ? std::string("unknown") : value;
  std::lock_guard<std::mutex> lock(mutex_);
  if (admitted_.count(v) != 0) return v;
  if (admitted_.size() < cap_ && v != kOther) {
    admitted_.insert(v);
    return v;
  }
  if (folded_values_.size() < kFoldedRemembered) {
    if (folded_values_.insert(v).second) ++folded_;
  } else if (folded_values_.count(v) == 0) {
    ++folded_;
  }
  return kOther;
}

uint64_t LabelGuard::folded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return folded_;
}

}  // namespace exporter
