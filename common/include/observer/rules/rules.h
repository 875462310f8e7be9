// The four risk rules of the brief (§6): their thresholds, the allow-lists that exempt subjects, and the hits they
// produce. One definition, shared by the streaming evaluator (exporter gauges) and the SQL evaluator (JSON API).
// Pure; no I/O.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "observer/newapi/logs.h"

namespace observer::rules {

enum class Rule { kBurst, kMultiUserToken, kIpManyUsers, kBigRequest };
inline constexpr Rule kAllRules[] = {Rule::kBurst, Rule::kMultiUserToken, Rule::kIpManyUsers, Rule::kBigRequest};
const char* RuleName(Rule rule);

struct Thresholds {
  // burst: a token with >= burst_limit consume requests within any burst_window_sec seconds.
  int64_t burst_window_sec = 60;
  int64_t burst_limit = 120;
  // multi_user_token: a token used from >= token_clients_threshold distinct client IPs within the window. A token
  // belongs to one user in new-api, so "many users" shows as many IPs. 6 IPs in 10 minutes stays quiet for a user
  // moving between home, office and a mobile network (2-3 IPs) while a key resold to a group fires.
  int64_t token_clients_window_sec = 600;
  int64_t token_clients_threshold = 6;
  // ip_many_users: one IP used by >= ip_users_threshold distinct users (consume, error and login rows) within the
  // window.
  int64_t ip_users_window_sec = 600;
  int64_t ip_users_threshold = 5;
  // big_request: prompt + completion tokens > mean + sigma * stddev of the same model's consume rows over the
  // big_request_baseline_hours whole hours before the request's hour, once there are min_samples of them.
  double big_request_sigma = 3;
  int64_t big_request_min_samples = 100;
  int64_t big_request_baseline_hours = 24;
  int64_t big_request_active_sec = 600;  // how long a big request stays listed as an active hit

  // "" when every value is usable, else a message naming the first bad field.
  std::string Validate() const;
};

// Subjects that never fire: token, user and channel ids, and client IPs or networks (IPv4 and IPv6 CIDRs).
class AllowList {
 public:
  std::set<int64_t> token_ids;
  std::set<int64_t> user_ids;
  std::set<int64_t> channel_ids;

  // Adds "10.0.0.0/8", "2001:db8::/32" or a single address; false with a message for anything else.
  bool AddNetwork(std::string_view text, std::string* error);
  bool AllowsIp(std::string_view ip) const;
  // True when the row's token, user, channel or IP is allow-listed.
  bool AllowsRow(const newapi::LogRow& row) const;

 private:
  struct Network {
    unsigned char bytes[16];
    int family_bytes;  // 4 or 16
    int prefix_bits;
  };
  std::vector<Network> networks_;
};

struct Hit {
  Rule rule = Rule::kBurst;
  std::string subject_type;  // token, ip or request
  std::string subject_id;    // token id, the IP, or the logs id of the request
  std::string subject_name;  // token name, "" for an IP, the model for a request
  double score = 0;          // requests, distinct IPs, distinct users, or tokens of the request
  double threshold = 0;      // the value the score reached or passed
  int64_t at = 0;            // created_at of the row that made it fire
};

}  // namespace observer::rules
