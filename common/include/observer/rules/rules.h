// The four risk rules: their thresholds, the allow-lists that exempt subjects, and the hits they
// produce. One definition, shared by the streaming evaluator (exporter gauges) and the SQL evaluator (JSON API).
// Pure; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "observer/dialect.h"
#include "observer/newapi/logs.h"

namespace observer::rules {

enum class Rule { kBurst, kMultiUserToken, kIpManyUsers, kBigRequest };
inline constexpr Rule kAllRules[] = {Rule::kBurst, Rule::kMultiUserToken, Rule::kIpManyUsers, Rule::kBigRequest};
const char* RuleName(Rule rule);

// How the rules read the data, shared by both evaluators so they give the same hits:
// - burst uses sliding windows anchored at each consume row of a token: (t - window, t].
// - multi_user_token and ip_many_users use tumbling windows aligned to the epoch ([k*window, (k+1)*window)), so a
//   window's distinct count is a plain GROUP BY in SQL and exact for rows committed late; a pattern that straddles a
//   boundary fires once it persists into a whole window.
// - big_request compares log(1 + tokens) with the mean and standard deviation of log(1 + tokens) over the model's
//   consume rows of the baseline_hours whole hours before the request's hour. Request sizes are roughly lognormal:
//   in raw tokens, mean + 3 stddev of a lognormal with log-stddev 1 is passed by about 2 % of normal requests; in log
//   space 3 stddev is passed by 0.13 % of a lognormal, and by ordinary prompt + completion pairs of the simulator
//   (up to 3.2 stddev), hence the default of 4: 0.003 % of a lognormal, about 25x a typical model's median size.
// - Allow-listed rows (token, user, channel or client IP on the allow-list) never count toward a rule and never fire;
//   the big_request baseline (what a normal size is for a model) counts every consume row.
struct Thresholds {
  int64_t burst_window_sec = 60;
  int64_t burst_limit = 120;
  // multi_user_token: a token used from >= token_clients_threshold distinct clients (user, IP pairs) within one
  // window. A token belongs to one user in new-api, so many clients means many IPs. 6 in 10 minutes stays quiet for
  // a user moving between home, office and a mobile network (2-3 IPs) while a key resold to a group fires.
  int64_t token_clients_window_sec = 600;
  int64_t token_clients_threshold = 6;
  // ip_many_users: one IP used by >= ip_users_threshold distinct users (consume, error and login rows) in a window.
  // 5 stays quiet for a family or small office behind one NAT address (2-3 accounts).
  int64_t ip_users_window_sec = 600;
  int64_t ip_users_threshold = 5;
  double big_request_sigma = 4;
  int64_t big_request_min_samples = 100;
  int64_t big_request_baseline_hours = 24;
  int64_t big_request_active_sec = 600;  // how long a big request stays listed as an active hit
  // Adaptive mode (off by default) for burst and ip_many_users: a subject with a baseline (Baselines) fires at
  // max(floor, factor x its baseline) instead of the static limit; subjects without one keep the static limit.
  bool burst_adaptive = false;
  int64_t burst_floor =
      30;  // a leaked key of a small user jumping from 2/min to 60/min fires; 30/min in bursts is common
  double burst_factor = 3;
  bool ip_users_adaptive = false;
  int64_t ip_users_floor = 5;  // adaptive mode raises the limit of busy NAT addresses; it never lowers it
  double ip_users_factor = 3;

  // "" when every value is usable, else a message naming the first bad field.
  std::string Validate() const;
};

// The rows a rule reads: its log types and the columns a row must have. One definition for the streaming evaluator
// (Selects), the SQL evaluator and the JSON API's finding detail (Sql, types). Allow-listed rows are left out on top of
// this (AllowList), except from big_request's baseline.
struct RowSelection {
  newapi::LogTypes types;
  bool token = false;  // token_id > 0
  bool user = false;   // user_id > 0
  bool ip = false;     // ip <> ''
  bool Selects(const newapi::LogRow& row) const;
  // The same test on `logs` columns: "type = 2 AND token_id > 0", ...
  std::string Sql() const;
};
// burst and big_request: consume rows (of a token); multi_user_token: consume rows of a token with an IP;
// ip_many_users: consume, error and login rows of a user with an IP.
RowSelection RowsOf(Rule rule);

// Per-subject baselines, computed daily by the aggregator into agg_rule_baselines and read by both evaluators:
// burst: token id -> P99 of the token's consume requests per minute over the last 7 days (idle minutes count as 0);
// ip_many_users: IP -> P99 of its distinct users per ip_many_users window over the same days. Subjects absent here
// (no activity in those days) have no baseline.
struct Baselines {
  std::map<int64_t, int64_t> burst;
  std::map<std::string, int64_t> ip_users;
};
// The baseline of a subject, -1 when it has none.
int64_t BurstBaseline(const Baselines& b, int64_t token_id);
int64_t IpUsersBaseline(const Baselines& b, const std::string& ip);
// The count a subject's window must reach: the static limit, or in adaptive mode with a baseline
// max(floor, ceil(factor x baseline)). Whole numbers, so both evaluators compare counts with the same integer.
int64_t BurstLimit(const Thresholds& t, int64_t baseline);
int64_t IpUsersLimit(const Thresholds& t, int64_t baseline);
// The lowest limit any subject can have (for pre-filters): min(static, floor) in adaptive mode.
int64_t LowestBurstLimit(const Thresholds& t);
int64_t LowestIpUsersLimit(const Thresholds& t);

// The P99 of per-window counts over `windows` windows of which only the busy ones are given (the rest count 0): the
// (windows / 100 + 1)-th largest count, 0 when fewer windows were busy. *counts is reordered.
int64_t P99OfWindows(std::vector<int64_t>* counts, int64_t windows);

// Distinct counts stop at this many values per window (memory bound); scores saturate there in both evaluators.
inline constexpr int64_t kMaxDistinctPerWindow = 1000;

// Running statistics of log(1 + request tokens).
struct SizeStats {
  double n = 0, sum = 0, sum_squares = 0;
  void Add(double log_size) {
    n += 1;
    sum += log_size;
    sum_squares += log_size * log_size;
  }
  void Add(const SizeStats& other) {
    n += other.n;
    sum += other.sum;
    sum_squares += other.sum_squares;
  }
};
double LogSize(int64_t tokens);
// The request size (tokens) a request must exceed to be big under these stats, or -1 with too few samples.
double BigRequestLimit(const SizeStats& baseline, const Thresholds& thresholds);

// Subjects that never fire: token, user and channel ids, and client IPs or networks (IPv4 and IPv6 CIDRs).
class AllowList {
 public:
  std::set<int64_t> token_ids;
  std::set<int64_t> user_ids;
  std::set<int64_t> channel_ids;

  // Adds "10.0.0.0/8", "2001:db8::/32" or a single address; false with a message for anything else.
  bool AddNetwork(std::string_view text, std::string* error);
  void ClearNetworks() { networks_.clear(); }
  bool AllowsIp(std::string_view ip) const;
  // True when the row's token, user, channel or IP is allow-listed.
  bool AllowsRow(const newapi::LogRow& row) const;
  // The same test as a SQL condition on `logs` columns, "" when the list is empty. Networks compare INET6_ATON(ip)
  // with the network's first and last address (MySQL 8 and MariaDB both have INET6_ATON).
  std::string SqlCondition(const Dialect& d) const;
  bool empty() const;

 private:
  struct Network {
    unsigned char bytes[16];
    int family_bytes;  // 4 or 16
    int prefix_bits;
  };
  std::vector<Network> networks_;
};

// One evaluation of a window at or over its threshold.
struct Hit {
  Rule rule = Rule::kBurst;
  std::string subject_type;  // token, ip or request
  std::string subject_id;    // token id, the IP, or the logs id of the request
  std::string subject_name;  // token name, "" for an IP, the model for a request
  double score = 0;          // requests, distinct clients, distinct users, or tokens of the request
  double threshold = 0;      // the value the score reached or passed (big_request: the size limit in tokens)
  int64_t baseline = -1;     // the subject's baseline when the threshold came from it (adaptive mode), else -1
  int64_t window_start = 0;  // the window evaluated, [window_start, window_end] in created_at seconds
  int64_t window_end = 0;
  int64_t at = 0;               // created_at of the row that made it fire
  bool starts_episode = false;  // the subject was not firing before: count and log this one
};

// What a rule found about one subject over a time range: every window of that subject that overlaps the range and
// reached the threshold, summarised. Both evaluators produce these, so their answers compare directly.
struct Finding {
  Rule rule = Rule::kBurst;
  std::string subject_type;
  std::string subject_id;
  std::string subject_name;
  double peak_score = 0;
  double threshold = 0;
  int64_t first_window_start = 0;
  int64_t last_window_end = 0;
  int64_t windows = 0;    // windows over the threshold (burst: anchor rows; big_request: 1)
  int64_t baseline = -1;  // as in Hit
};

// Summarises hits into findings for the windows overlapping [start, end), ordered by rule, then subject.
std::vector<Finding> Summarize(const std::vector<Hit>& hits, int64_t start, int64_t end);

}  // namespace observer::rules
