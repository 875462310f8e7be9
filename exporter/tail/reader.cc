// The tail reader: batches after the cursor, then the holes.
#include "tail/reader.h"

#include <algorithm>

namespace exporter::tail {
namespace {

constexpr size_t kHolesPerQuery = 1000;

}  // namespace

Reader::Reader(int64_t start_id, Options options) : options_(options), cursor_(start_id, options.cursor) {}

std::string Reader::BatchSql(int64_t after_id, int batch_size) {
  return "SELECT " + std::string(observer::newapi::kLogColumns) + " FROM logs WHERE id > " + std::to_string(after_id) +
         " ORDER BY id LIMIT " + std::to_string(batch_size);
}

std::string Reader::HolesSql(const std::vector<int64_t>& ids) {
  std::string sql = "SELECT " + std::string(observer::newapi::kLogColumns) + " FROM logs WHERE id IN (";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) sql.push_back(',');
    sql += std::to_string(ids[i]);
  }
  sql.push_back(')');
  return sql;
}

observer::DbStatus Reader::Read(const Query& query, int64_t now, const Handler& handler, Poll* poll) {
  // Batches follow each other until the tail is reached; a backlog (a start far behind, an outage) is bounded per
  // poll by time, so holes and gauges stay fresh, and the runner starts the next refresh at once.
  const auto deadline = std::chrono::steady_clock::now() + options_.max_read_per_poll;
  while (std::chrono::steady_clock::now() < deadline) {
    int rows = 0;
    observer::DbStatus status =
        query(BatchSql(cursor_.cursor(), options_.batch_size), [&](const observer::newapi::LogRow& r) {
          ++rows;
          if (cursor_.Accept(r.id, now)) handler(r, false);
        });
    if (!status.ok) return status;
    if (rows < options_.batch_size) {
      poll->caught_up = true;
      break;
    }
  }
  // Every hole is looked up by primary key on every poll, in chunks, so a late commit shows within one interval.
  const std::vector<int64_t> holes = cursor_.Holes(options_.cursor.max_holes);
  for (size_t begin = 0; begin < holes.size(); begin += kHolesPerQuery) {
    const size_t end = std::min(holes.size(), begin + kHolesPerQuery);
    observer::DbStatus status = query(HolesSql({holes.begin() + static_cast<std::ptrdiff_t>(begin),
                                                holes.begin() + static_cast<std::ptrdiff_t>(end)}),
                                      [&](const observer::newapi::LogRow& r) {
                                        if (cursor_.Accept(r.id, now)) handler(r, true);
                                      });
    if (!status.ok) return status;
  }
  poll->holes_expired = cursor_.ExpireHoles(now);
  return observer::DbStatus::Ok();
}

Reader::Query QueryOn(observer::DbClient& db) {
  return [&db](const std::string& sql, const Reader::RowFn& row) {
    return db.QueryEach(sql, [&row](const observer::DbRowView& r) { row(observer::newapi::LogRowFrom(r)); });
  };
}

}  // namespace exporter::tail
