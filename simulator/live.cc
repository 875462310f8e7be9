// Live writers, counter flusher and anomaly injector, each with its own connection.
#include "live.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <tuple>
#include <vector>

#include "anomalies.h"
#include "observer/log.h"
#include "text_format.h"
#include "traffic.h"

namespace sim {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kRolledBackShare = 0.03;  // INSERT inside a transaction that is rolled back: an id gap
constexpr double kLateCommitShare = 0.03;  // BEGIN, INSERT, 1–4 s pause, COMMIT: a higher id commits first
// new-api stamps created_at before the INSERT takes its id; a slow goroutine makes a higher id carry an earlier time.
constexpr double kEarlyStampShare = 0.01;
constexpr auto kCounterFlushEvery = std::chrono::seconds(5);

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// Sleeps until the deadline or until stop; returns false when stopping.
class Waiter {
 public:
  explicit Waiter(const std::atomic<bool>& stop) : stop_(stop) {}
  bool SleepUntil(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, deadline, [&] { return stop_.load(); });
    return !stop_.load();
  }
  // Locking first means a thread between its stop check and its wait cannot miss this wake-up.
  void WakeAll() {
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }

 private:
  const std::atomic<bool>& stop_;
  std::mutex mutex_;
  std::condition_variable wake_;
};

// Deltas for users / tokens / channels / quota_data, flushed in batches like new-api's BATCH_UPDATE.
class Counters {
 public:
  void Add(const LogRow& row) {
    if (row.type != newapi::kLogConsume) return;
    std::lock_guard lock(mutex_);
    auto& user = users_[row.user_id];
    user.first += row.quota;
    user.second += 1;
    if (row.token_id > 0) {
      auto& token = tokens_[row.token_id];
      token.first += row.quota;
      token.second = std::max(token.second, row.created_at);
    }
    if (row.channel_id > 0) channels_[row.channel_id] += row.quota;
    auto& bucket = buckets_[{row.user_id, row.username, row.model_name, row.created_at - row.created_at % 3600,
                             row.group, row.token_id, row.channel_id}];
    bucket[0] += 1;
    bucket[1] += row.quota;
    bucket[2] += row.prompt_tokens + row.completion_tokens;
  }

  // Applies and clears the deltas; on failure the deltas are lost (as new-api loses its in-memory batch).
  void Flush(observer::DbClient& db) {
    decltype(users_) users;
    decltype(tokens_) tokens;
    decltype(channels_) channels;
    decltype(buckets_) buckets;
    {
      std::lock_guard lock(mutex_);
      users.swap(users_);
      tokens.swap(tokens_);
      channels.swap(channels_);
      buckets.swap(buckets_);
    }
    if (users.empty() && buckets.empty()) return;
    auto i = [](int64_t v) { return std::to_string(v); };
    auto text = [&](std::string_view v) { return SqlQuote(db.dialect(), v); };
    std::vector<std::string> sql;
    for (const auto& [id, d] : users) {
      sql.push_back("UPDATE users SET used_quota = used_quota + " + i(d.first) + ", quota = quota - " + i(d.first) +
                    ", request_count = request_count + " + i(d.second) + " WHERE id = " + i(id));
    }
    for (const auto& [id, d] : tokens) {
      sql.push_back("UPDATE tokens SET used_quota = used_quota + " + i(d.first) +
                    ", accessed_time = GREATEST(accessed_time, " + i(d.second) + ") WHERE id = " + i(id));
    }
    for (const auto& [id, q] : channels) {
      sql.push_back("UPDATE channels SET used_quota = used_quota + " + i(q) + " WHERE id = " + i(id));
    }
    for (const std::string& s : sql) {
      if (observer::DbStatus st = db.Execute(s); !st.ok) {
        observer::log::Warn("counter update failed", {{"error", st.message}});
        return;
      }
    }
    for (const auto& [key, v] : buckets) {
      const auto& [user_id, username, model, hour, group, token_id, channel_id] = key;
      const std::string where = " WHERE user_id = " + i(user_id) + " AND model_name = " + text(model) +
                                " AND created_at = " + i(hour) + " AND use_group = " + text(group) +
                                " AND token_id = " + i(token_id) + " AND channel_id = " + i(channel_id);
      uint64_t affected = 0;
      observer::DbStatus st = db.Execute("UPDATE quota_data SET count = count + " + i(v[0]) + ", quota = quota + " +
                                             i(v[1]) + ", token_used = token_used + " + i(v[2]) + where,
                                         &affected);
      if (st.ok && affected == 0) {
        st = db.Execute(std::string("INSERT INTO quota_data (") + kQuotaDataColumns + ") VALUES (" + i(user_id) + "," +
                        text(username) + "," + text(model) + "," + i(hour) + "," + text(group) + "," + i(token_id) +
                        "," + i(channel_id) + ",''," + i(v[2]) + "," + i(v[0]) + "," + i(v[1]) + ")");
      }
      if (!st.ok) {
        observer::log::Warn("quota_data update failed", {{"error", st.message}});
        return;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::map<int64_t, std::pair<int64_t, int64_t>> users_;   // quota, requests
  std::map<int64_t, std::pair<int64_t, int64_t>> tokens_;  // quota, last use
  std::map<int64_t, int64_t> channels_;
  std::map<std::tuple<int64_t, std::string, std::string, int64_t, std::string, int64_t, int64_t>,
           std::array<int64_t, 3>>
      buckets_;
};

// Connects, retrying every 2 s until stop (the database may restart under a demo stack).
bool ConnectWithRetry(observer::DbClient& db, Waiter& waiter, const char* who) {
  while (true) {
    observer::DbStatus st = db.Connect();
    if (st.ok) return true;
    observer::log::Warn("database connect failed", {{"thread", who}, {"error", st.message}});
    if (!waiter.SleepUntil(Clock::now() + std::chrono::seconds(2))) return false;
  }
}

struct Stats {
  std::atomic<int64_t> inserted{0}, rolled_back{0}, late_commits{0}, failed{0};
};

// Runs one statement and counts a failure; returns false when it failed.
bool Run(observer::DbClient& db, const std::string& sql, Stats& stats) {
  if (observer::DbStatus st = db.Execute(sql); !st.ok) {
    ++stats.failed;
    observer::log::Warn("insert failed", {{"error", st.message}});
    return false;
  }
  return true;
}

// One transaction left open on a second connection and committed later, so that rows with higher ids commit first
// (new-api's concurrent goroutines do this). The writer keeps inserting meanwhile.
class LateCommit {
 public:
  explicit LateCommit(const observer::DbOptions& options) : db_(options) {}
  bool open() const { return due_.has_value(); }
  Clock::time_point due() const { return *due_; }

  void Begin(const LogRow& row, Clock::time_point due, Stats& stats) {
    if (!db_.connected() && !db_.Connect().ok) return;
    if (!Run(db_, "BEGIN", stats)) return;
    if (!Run(db_, LogInsertSql(db_.dialect(), row), stats)) {
      db_.Execute("ROLLBACK");  // PostgreSQL refuses every statement of a failed transaction until it ends
      return;
    }
    row_ = row;
    due_ = due;
  }

  void Commit(Counters& counters, Stats& stats) {
    if (Run(db_, "COMMIT", stats)) {
      ++stats.late_commits;
      ++stats.inserted;
      counters.Add(row_);
    }
    due_.reset();
  }

 private:
  observer::DbClient db_;
  LogRow row_;
  std::optional<Clock::time_point> due_;
};

void WriterLoop(int index, const Catalog& catalog, const Population& population, const LiveOptions& options,
                const std::atomic<bool>& stop, Waiter& waiter, Counters& counters, Stats& stats) {
  observer::DbClient db(options.logs_db);
  LateCommit late(options.logs_db);
  const std::string name = "writer-" + std::to_string(index);
  if (!ConnectWithRetry(db, waiter, name.c_str())) return;
  // Live traffic is not reproducible (it follows the clock), but each writer still gets its own stream.
  const uint64_t seed = SubSeed(options.seed ^ static_cast<uint64_t>(Now()), 100 + static_cast<uint64_t>(index));
  TrafficGenerator gen(catalog, population, seed, MaxUserShareFor(options.rate * 60));
  const double per_writer = options.rate / options.writers;
  auto due = Clock::now();
  while (!stop) {
    // Poisson arrivals at this writer's share of the rate.
    due += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(gen.rng().Exponential(1.0 / per_writer)));
    if (due < Clock::now() - std::chrono::seconds(1)) due = Clock::now();  // after a stall: don't catch up in a burst
    if (late.open() && late.due() <= due) {
      waiter.SleepUntil(late.due());
      late.Commit(counters, stats);  // even when stopping: the row was promised
    }
    if (!waiter.SleepUntil(due)) break;
    if (!db.connected() && !ConnectWithRetry(db, waiter, name.c_str())) break;
    LogRow row = gen.Next(Now());
    if (gen.rng().Chance(kEarlyStampShare)) row.created_at -= gen.rng().UniformInt(1, 3);
    const double r = gen.rng().Uniform01();
    if (r < kRolledBackShare) {
      if (Run(db, "BEGIN", stats)) {
        const bool inserted = Run(db, LogInsertSql(db.dialect(), row), stats);
        if (Run(db, "ROLLBACK", stats) && inserted) ++stats.rolled_back;
      }
    } else if (r < kRolledBackShare + kLateCommitShare && !late.open()) {
      late.Begin(row, Clock::now() + std::chrono::milliseconds(gen.rng().UniformInt(1000, 4000)), stats);
    } else if (Run(db, LogInsertSql(db.dialect(), row), stats)) {
      ++stats.inserted;
      counters.Add(row);
    }
  }
  if (late.open()) {
    std::this_thread::sleep_until(late.due());
    late.Commit(counters, stats);
  }
}

void FlusherLoop(const LiveOptions& options, Waiter& waiter, Counters& counters, Stats& stats) {
  observer::DbClient db(options.db);
  if (!ConnectWithRetry(db, waiter, "counters")) return;
  auto next_report = Clock::now() + std::chrono::seconds(10);
  while (waiter.SleepUntil(Clock::now() + kCounterFlushEvery)) {
    if (!db.connected() && !ConnectWithRetry(db, waiter, "counters")) break;
    counters.Flush(db);
    if (Clock::now() >= next_report) {
      next_report += std::chrono::seconds(10);
      observer::log::Info("live progress", {{"inserted", stats.inserted.load()},
                                            {"rolled_back", stats.rolled_back.load()},
                                            {"late_commits", stats.late_commits.load()},
                                            {"failed", stats.failed.load()}});
    }
  }
  if (db.connected() || db.Connect().ok) counters.Flush(db);  // the last batch, like new-api at shutdown
}

void Announce(const Injection& inj, const std::string& file) {
  observer::log::Info("injected anomaly", InjectionJson(inj));
  AppendInjection(inj, file);
}

void InjectorLoop(const Catalog& catalog, const Population& population, const LiveOptions& options,
                  const std::atomic<bool>& stop, Waiter& waiter, Counters& counters, Stats& stats) {
  if (options.anomaly_interval <= 0) return;
  observer::DbClient db(options.logs_db);
  if (!ConnectWithRetry(db, waiter, "injector")) return;
  TrafficGenerator gen(catalog, population, SubSeed(options.seed ^ static_cast<uint64_t>(Now()), 200), 1.0);
  struct Due {
    Clock::time_point at;
    uint64_t order;
    LogRow row;
    bool operator>(const Due& o) const { return std::tie(at, order) > std::tie(o.at, o.order); }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> pending;
  uint64_t order = 0;
  int cycle = 0;
  auto next_injection = Clock::now() + std::chrono::seconds(options.first_anomaly_after);
  while (!stop) {
    Clock::time_point wake = next_injection;
    if (!pending.empty() && pending.top().at < wake) wake = pending.top().at;
    if (!waiter.SleepUntil(wake)) break;
    const auto now = Clock::now();
    if (now >= next_injection) {
      for (Injection inj : {PlanAnomaly(cycle, gen, Now()), PlanDecoy(cycle, gen, Now())}) {
        if (inj.rows.empty()) continue;
        Announce(inj, options.injections_file);
        for (PlannedRow& p : inj.rows) {
          pending.push({now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(p.at_seconds)),
                        order++, std::move(p.row)});
        }
      }
      ++cycle;
      next_injection += std::chrono::seconds(options.anomaly_interval);
    }
    while (!pending.empty() && pending.top().at <= Clock::now()) {
      LogRow row = pending.top().row;
      pending.pop();
      row.created_at = Now();
      if (!db.connected() && !ConnectWithRetry(db, waiter, "injector")) return;
      const std::string sql = LogInsertSql(db.dialect(), row);
      if (observer::DbStatus st = db.Execute(sql); st.ok) {
        ++stats.inserted;
        counters.Add(row);
      } else {
        ++stats.failed;
        observer::log::Warn("injected insert failed", {{"error", st.message}});
      }
    }
  }
}

}  // namespace

int RunLive(const Catalog& catalog, const Population& population, const LiveOptions& options,
            const std::atomic<bool>& stop) {
  observer::log::Info("live traffic starting", {{"rate", options.rate},
                                                {"writers", options.writers},
                                                {"anomaly_interval", options.anomaly_interval},
                                                {"injections_file", options.injections_file}});
  Waiter waiter(stop);
  Counters counters;
  Stats stats;
  std::vector<std::thread> threads;
  for (int i = 0; i < options.writers; ++i) {
    threads.emplace_back(WriterLoop, i, std::cref(catalog), std::cref(population), std::cref(options), std::cref(stop),
                         std::ref(waiter), std::ref(counters), std::ref(stats));
  }
  threads.emplace_back(InjectorLoop, std::cref(catalog), std::cref(population), std::cref(options), std::cref(stop),
                       std::ref(waiter), std::ref(counters), std::ref(stats));
  // The flusher outlives the writers so their last (late-committed) rows are counted too.
  std::atomic<bool> flusher_stop{false};
  Waiter flusher_waiter(flusher_stop);
  std::thread flusher(FlusherLoop, std::cref(options), std::ref(flusher_waiter), std::ref(counters), std::ref(stats));
  // The stop flag is set by the signal thread; poll it here so the waiter can be woken promptly.
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  waiter.WakeAll();
  for (std::thread& t : threads) t.join();
  flusher_stop = true;
  flusher_waiter.WakeAll();
  flusher.join();
  observer::log::Info("live traffic stopped", {{"inserted", stats.inserted.load()},
                                               {"rolled_back", stats.rolled_back.load()},
                                               {"late_commits", stats.late_commits.load()},
                                               {"failed", stats.failed.load()}});
  return 0;
}

}  // namespace sim
