// The pure traffic generator: seeded RNG → new-api `logs` rows (consume, error, login, top-up, refund, manage,
// system) following the catalog's distributions, the diurnal pattern, and the row formats (TSV for LOAD DATA,
// INSERT for live traffic). No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog.h"
#include "entities.h"
#include "observer/dialect.h"
#include "observer/newapi/logs.h"
#include "random.h"

namespace sim {

// Log types are the ones the observer reads (new-api's model/log.go): newapi::kLogConsume and so on.
namespace newapi = observer::newapi;

// One `logs` row as the simulator writes it: all the columns new-api writes (observer::newapi::LogRow holds only those
// the observer reads) and the population indexes. channel_name is always NULL (never written by new-api) and not
// represented.
struct LogRow {
  int64_t id = 0;  // 0 = let AUTO_INCREMENT choose (live inserts)
  int64_t user_id = 0;
  int64_t created_at = 0;
  newapi::LogType type = newapi::kLogConsume;
  std::string content;
  std::string username;
  std::string token_name;
  std::string model_name;
  int64_t quota = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t use_time = 0;
  bool is_stream = false;
  int64_t channel_id = 0;
  int64_t token_id = 0;
  std::string group;
  std::string ip;
  std::string request_id;
  std::string upstream_request_id;
  std::string other;
  // Not stored: the population indexes, for totals and counters.
  int64_t cache_tokens = 0;
  size_t user_index = 0;
  int64_t token_index = -1;
  int64_t channel_index = -1;
};

// The column list shared by the TSV layout and INSERT statements (channel_name included, always NULL).
extern const char* const kLogColumns;
void AppendLogTsv(const LogRow& row, std::string* out);                         // one line with '\n'
std::string LogInsertSql(const observer::Dialect& dialect, const LogRow& row);  // INSERT without id (the sequence)

// Relative traffic at a unix time: Asia/Shanghai (UTC+8, no DST) hour of day, weekends at 60 %.
double DiurnalWeight(int64_t unix_seconds);
int LocalHour(int64_t unix_seconds);

// Share of generated events by kind; the rest are consume rows.
struct EventMix {
  double error = 0.02, login = 0.02, topup = 0.004, refund = 0.002, manage = 0.001, system = 0.002;
};

// Makes single rows at a given time. One instance per thread (it owns its RNG).
class TrafficGenerator {
 public:
  // max_user_share caps every user's share of relay requests (see CapShares) so no token nears the burst rule.
  TrafficGenerator(const Catalog& catalog, const Population& population, uint64_t seed, double max_user_share);

  LogRow Next(int64_t created_at);  // a random event following the mix

  // Building blocks, also used by the anomaly planners. model_index -1 = pick by popularity; ip "" = the user's own
  // (only recorded if the user has record_ip_log); prompt_tokens > 0 forces the request size.
  LogRow Consume(int64_t created_at, size_t token_index, int model_index = -1, const std::string& ip_override = "",
                 int64_t prompt_tokens = 0, int64_t completion_tokens = -1);
  LogRow Error(int64_t created_at);
  LogRow Login(int64_t created_at, size_t user_index, const std::string& ip_override = "");
  LogRow Topup(int64_t created_at);
  LogRow Refund(int64_t created_at);
  LogRow Manage(int64_t created_at);
  LogRow System(int64_t created_at);

  size_t PickToken();                    // by user popularity, then token weight
  size_t PickUser();                     // uniform over enabled users (logins, top-ups)
  std::string UserIp(const User& user);  // home, sometimes mobile
  Rng& rng() { return rng_; }
  const Population& population() const { return population_; }
  const Catalog& catalog() const { return catalog_; }

 private:
  void FillUserAndToken(LogRow* row, const User& user, const Token* token);
  int PickModel(const User& user);
  int64_t SampleTokens(double mu, double sigma);

  const Catalog& catalog_;
  const Population& population_;
  Rng rng_;
  EventMix mix_;
  WeightedPicker user_picker_;
  WeightedPicker model_picker_;
  std::vector<size_t> enabled_users_;
  std::vector<std::string> payment_ips_;
  std::string admin_ip_;
};

// Sums per user / token / channel and the hourly quota_data buckets (new-api's quota_data table), fed with every
// generated row.
class UsageTotals {
 public:
  explicit UsageTotals(const Population& population) : entities(population) {}
  void Add(const LogRow& row);
  // quota_data rows for finished hours (bucket < before_hour) as TSV lines, removed from memory.
  void TakeQuotaDataTsv(int64_t before_hour, std::string* out);

  EntityTotals entities;

 private:
  struct Key {
    int64_t user_index, model_index, hour, group_index, token_index, channel_index;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Bucket {
    int64_t count = 0, quota = 0, token_used = 0;
    std::string username, model, group;
    int64_t user_id = 0, token_id = 0, channel_id = 0;
  };
  std::unordered_map<Key, Bucket, KeyHash> buckets_;
};

extern const char* const kQuotaDataColumns;

struct HistoryOptions {
  uint64_t seed = 42;
  int64_t start = 0;  // [start, end) unix seconds
  int64_t end = 0;
  int64_t rows = 500000;
};

// Streams the history in id order: diurnal timestamps, id gaps (rolled-back inserts) and ~1 % out-of-order
// created_at (late commits). Memory: one hour of timestamps.
class HistoryGenerator {
 public:
  HistoryGenerator(const Catalog& catalog, const Population& population, const HistoryOptions& options);
  bool Next(LogRow* row);
  // Rows (with their created_at) to emit among the history in time order, e.g. injected anomalies.
  void Schedule(std::vector<LogRow> rows);
  TrafficGenerator& traffic() { return traffic_; }
  int64_t last_id() const { return next_id_ - 1; }
  int64_t generated() const { return generated_; }
  double max_user_share() const { return max_user_share_; }

 private:
  void FillHour();

  HistoryOptions options_;
  Rng rng_;
  double max_user_share_;
  TrafficGenerator traffic_;
  std::vector<int64_t> segment_starts_;  // hour-aligned pieces of [start, end)
  std::vector<int64_t> segment_counts_;  // rows per piece, summing to options.rows
  size_t segment_ = 0;
  std::vector<int64_t> times_;  // sorted timestamps of the current piece
  size_t time_index_ = 0;
  std::vector<LogRow> scheduled_;  // by created_at, latest first (taken from the back)
  int64_t next_id_ = 1;
  int64_t previous_created_at_ = 0;
  int64_t generated_ = 0;
};

// The share cap that keeps the busiest user around 40 requests/minute at a peak rate of peak_rows_per_minute.
double MaxUserShareFor(double peak_rows_per_minute);

}  // namespace sim
