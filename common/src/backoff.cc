// Exponential backoff arithmetic.
#include "observer/backoff.h"

#include <algorithm>

namespace observer {

std::chrono::milliseconds Backoff::Next() {
  auto delay = initial_;
  for (int i = 0; i < attempts_ && delay < max_; ++i) delay *= 2;
  if (attempts_ < 62) ++attempts_;
  return std::min(delay, max_);
}

}  // namespace observer
