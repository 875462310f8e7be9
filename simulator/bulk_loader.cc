// Bulk-load streaming (LOAD DATA / COPY): bounded block queue between the TSV producer and the server.
#include "bulk_loader.h"

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "observer/log.h"

namespace sim {
namespace {

constexpr size_t kBlockBytes = 1 << 20;           // one queue entry
constexpr size_t kMaxQueuedBlocks = 16;           // bounds memory to ~16 MB
constexpr int64_t kRowsPerStatement = 2'000'000;  // one LOAD DATA (one transaction) per this many rows
constexpr auto kProgressEvery = std::chrono::seconds(2);

struct Block {
  std::string data;
  int64_t rows = 0;
  bool end_of_statement = false;  // the read callback reports EOF here; the next LOAD DATA continues
  bool end_of_stream = false;     // ... and there is no next LOAD DATA
};

// Shared between the producer thread and the local-infile callbacks running in the loading thread.
class BlockQueue {
 public:
  bool Push(Block block) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < kMaxQueuedBlocks || cancelled_; });
    if (cancelled_) return false;
    queue_.push_back(std::move(block));
    ready_.notify_one();
    return true;
  }
  bool Pop(Block* block) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || cancelled_; });
    if (queue_.empty()) return false;
    *block = std::move(queue_.front());
    queue_.pop_front();
    space_.notify_one();
    return true;
  }
  void Cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    ready_.notify_all();
    space_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<Block> queue_;
  bool cancelled_ = false;
};

struct StreamState {
  BlockQueue queue;
  Block current;
  size_t offset = 0;
  std::atomic<int64_t> rows_sent{0};
  bool stream_finished = false;  // set by the read callback (loading thread only)
  std::chrono::steady_clock::time_point started, last_progress;
};

// Hands LoadTsv the queued blocks of one statement; false once the statement's last block is handed over.
bool NextBlock(StreamState* state, std::string* out) {
  Block block;
  if (!state->queue.Pop(&block)) return false;
  state->rows_sent += block.rows;
  state->stream_finished = block.end_of_stream;
  const auto now = std::chrono::steady_clock::now();
  if (now - state->last_progress >= kProgressEvery) {
    state->last_progress = now;
    const double elapsed = std::chrono::duration<double>(now - state->started).count();
    observer::log::Info("load progress",
                        {{"phase", "logs"},
                         {"rows", state->rows_sent.load()},
                         {"rows_per_s", std::llround(static_cast<double>(state->rows_sent) / elapsed)}});
  }
  *out = std::move(block.data);
  return !block.end_of_statement;
}

}  // namespace

BulkLoadResult LoadHistory(observer::DbClient& db, HistoryGenerator& generator, UsageTotals& totals,
                           const std::atomic<bool>& stop) {
  BulkLoadResult result;
  StreamState state;
  state.started = state.last_progress = std::chrono::steady_clock::now();

  char quota_path[] = "/tmp/newapi-sim-quota-data-XXXXXX";
  const int quota_fd = mkstemp(quota_path);
  if (quota_fd < 0) {
    result.status =
        observer::DbStatus::Failure(observer::DbError::kOther, "cannot create a temporary file for quota_data");
    return result;
  }
  FILE* quota_file = fdopen(quota_fd, "w");

  std::atomic<bool> interrupted{false};
  std::thread producer([&] {
    Block block;
    int64_t in_statement = 0;
    int64_t current_hour = 0;
    std::string quota_tsv;
    LogRow row;
    auto push = [&](bool end_of_statement, bool end_of_stream = false) {
      block.end_of_statement = end_of_statement;
      block.end_of_stream = end_of_stream;
      const bool ok = state.queue.Push(std::move(block));
      block = Block{};
      return ok;
    };
    while (generator.Next(&row)) {
      totals.Add(row);
      AppendLogTsv(row, &block.data);
      ++block.rows;
      const int64_t hour = row.created_at - row.created_at % 3600;
      if (hour > current_hour) {
        // Out-of-order rows are at most a few seconds late, so buckets two hours back are final.
        totals.TakeQuotaDataTsv(hour - 3600, &quota_tsv);
        std::fwrite(quota_tsv.data(), 1, quota_tsv.size(), quota_file);
        quota_tsv.clear();
        current_hour = hour;
      }
      const bool statement_full = ++in_statement >= kRowsPerStatement;
      if (block.data.size() >= kBlockBytes || statement_full) {
        if (!push(statement_full)) return;
        if (statement_full) in_statement = 0;
      }
      if (stop.load(std::memory_order_relaxed)) {
        interrupted = true;
        break;
      }
    }
    totals.TakeQuotaDataTsv(std::numeric_limits<int64_t>::max(), &quota_tsv);
    std::fwrite(quota_tsv.data(), 1, quota_tsv.size(), quota_file);
    push(true, true);
  });

  // One load statement per kRowsPerStatement rows keeps each transaction (and its undo log) bounded.
  while (true) {
    result.status = db.LoadTsv("logs", kLogColumns, [&](std::string* out) { return NextBlock(&state, out); });
    if (!result.status.ok) break;
    if (state.stream_finished) break;
  }
  if (!result.status.ok) state.queue.Cancel();
  producer.join();
  std::fclose(quota_file);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
  result.rows = generator.generated();
  result.last_id = generator.last_id();
  if (result.status.ok && interrupted)
    result.status = observer::DbStatus::Failure(observer::DbError::kOther, "interrupted by a signal");

  result.quota_data_file = quota_path;
  return result;
}

observer::DbStatus LoadQuotaData(observer::DbClient& db, const std::string& path, int64_t* rows) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return observer::DbStatus::Failure(observer::DbError::kOther, "cannot read " + path);
  observer::DbStatus status = db.LoadTsv("quota_data", kQuotaDataColumns, [file](std::string* out) {
    char buffer[1 << 16];
    const size_t n = std::fread(buffer, 1, sizeof buffer, file);
    out->append(buffer, n);
    return n == sizeof buffer;
  });
  std::fclose(file);
  observer::QueryResult count;
  if (status.ok && db.Query("SELECT COUNT(*) FROM quota_data", &count).ok && !count.rows.empty()) {
    *rows = std::stoll(count.rows[0][0].value_or("0"));
  }
  return status;
}

}  // namespace sim
