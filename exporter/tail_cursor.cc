// Cursor and hole bookkeeping for the log tailer.
#include "tail_cursor.h"

#include <algorithm>

namespace exporter {

TailCursor::TailCursor(int64_t start_id, Options options) : options_(options), cursor_(start_id) {}

bool TailCursor::Accept(int64_t id, int64_t now_seconds) {
  if (id <= cursor_) return holes_.erase(id) == 1;
  // Ids between the cursor and this row are holes. When a gap is wider than the room left, keep the highest ids:
  // in-flight transactions hold ids just below the newest committed one.
  const int64_t gap = id - cursor_ - 1;
  const int64_t room = static_cast<int64_t>(options_.max_holes) - static_cast<int64_t>(holes_.size());
  const int64_t tracked = std::clamp<int64_t>(room, 0, gap);
  untracked_ids_ += static_cast<uint64_t>(gap - tracked);
  for (int64_t hole = id - tracked; hole < id; ++hole) holes_.emplace_hint(holes_.end(), hole, now_seconds);
  cursor_ = id;
  return true;
}

std::vector<int64_t> TailCursor::Holes(size_t limit) const {
  std::vector<int64_t> out;
  out.reserve(std::min(limit, holes_.size()));
  for (auto it = holes_.begin(); it != holes_.end() && out.size() < limit; ++it) out.push_back(it->first);
  return out;
}

size_t TailCursor::ExpireHoles(int64_t now_seconds) {
  size_t expired = 0;
  for (auto it = holes_.begin(); it != holes_.end();) {
    if (now_seconds - it->second > options_.grace_seconds) {
      it = holes_.erase(it);
      ++expired;
    } else {
      ++it;
    }
  }
  return expired;
}

}  // namespace exporter
