// Reads new `logs` rows by id in bounded batches (`id > cursor ORDER BY id LIMIT n`) and re-checks the holes below
// the cursor (TailCursor), handing every row on exactly once. The query runs through a function, so a test can serve
// rows without a database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "observer/db_client.h"
#include "observer/newapi/logs.h"
#include "tail_cursor.h"

namespace exporter::tail {

class Reader {
 public:
  using RowFn = std::function<void(const observer::newapi::LogRow& row)>;
  // Runs one SELECT of kLogColumns and hands each of its rows to the callback (DbClient::QueryEach in the exporter).
  using Query = std::function<observer::DbStatus(const std::string& sql, const RowFn& row)>;
  struct Options {
    int batch_size = 5000;
    std::chrono::milliseconds max_read_per_poll{2000};  // bounds one poll; a backlog continues at the next
    TailCursor::Options cursor;
  };
  // Receives each row not handed over before; late: found when a hole was re-checked (committed late).
  using Handler = std::function<void(const observer::newapi::LogRow& row, bool late)>;
  struct Poll {
    bool caught_up = false;  // the last batch reached the end of `logs`
    size_t holes_expired = 0;
  };

  Reader(int64_t start_id, Options options);

  // New rows in batches until the end of `logs` or the time bound, then every hole by primary key. Holes older than
  // the grace period are then given up.
  observer::DbStatus Read(const Query& query, int64_t now, const Handler& handler, Poll* poll);

  const TailCursor& cursor() const { return cursor_; }

  // The SQL of one batch and of one hole lookup, for the reader and its tests.
  static std::string BatchSql(int64_t after_id, int batch_size);
  static std::string HolesSql(const std::vector<int64_t>& ids);

 private:
  Options options_;
  TailCursor cursor_;
};

// A Query over a database connection.
Reader::Query QueryOn(observer::DbClient& db);

}  // namespace exporter::tail
