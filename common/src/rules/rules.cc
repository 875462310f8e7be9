// Rule names, threshold validation and allow-list matching.
#include "observer/rules/rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>

namespace observer::rules {
namespace {

// Parses an IPv4 or IPv6 address into 16 bytes; returns 4 or 16 (the family's size) or 0.
int ParseAddress(std::string_view text, unsigned char out[16]) {
  const std::string address(text);
  std::memset(out, 0, 16);
  if (inet_pton(AF_INET, address.c_str(), out) == 1) return 4;
  if (inet_pton(AF_INET6, address.c_str(), out) == 1) return 16;
  return 0;
}

}  // namespace

const char* RuleName(Rule rule) {
  switch (rule) {
    case Rule::kBurst: return "burst";
    case Rule::kMultiUserToken: return "multi_user_token";
    case Rule::kIpManyUsers: return "ip_many_users";
    case Rule::kBigRequest: return "big_request";
  }
  return "unknown";
}

std::string Thresholds::Validate() const {
  if (burst_window_sec < 1) return "burst.window_sec must be at least 1";
  if (burst_limit < 2) return "burst.limit must be at least 2";
  if (token_clients_window_sec < 1) return "multi_user_token.window_sec must be at least 1";
  if (token_clients_threshold < 2) return "multi_user_token.threshold must be at least 2";
  if (ip_users_window_sec < 1) return "ip_many_users.window_sec must be at least 1";
  if (ip_users_threshold < 2) return "ip_many_users.threshold must be at least 2";
  if (!(big_request_sigma > 0)) return "big_request.sigma must be greater than 0";
  if (big_request_min_samples < 2) return "big_request.min_samples must be at least 2";
  if (big_request_baseline_hours < 1) return "big_request.baseline_hours must be at least 1";
  if (big_request_active_sec < 1) return "big_request.active_sec must be at least 1";
  if (burst_floor < 2) return "burst.floor must be at least 2";
  if (!(burst_factor > 0)) return "burst.factor must be greater than 0";
  if (ip_users_floor < 2) return "ip_many_users.floor must be at least 2";
  if (!(ip_users_factor > 0)) return "ip_many_users.factor must be greater than 0";
  return "";
}

namespace {

int64_t AdaptiveLimit(bool adaptive, int64_t static_limit, int64_t floor, double factor, int64_t baseline) {
  if (!adaptive || baseline < 0) return static_limit;
  return std::max(floor, static_cast<int64_t>(std::ceil(factor * static_cast<double>(baseline))));
}

}  // namespace

int64_t BurstBaseline(const Baselines& b, int64_t token_id) {
  const auto it = b.burst.find(token_id);
  return it == b.burst.end() ? -1 : it->second;
}

int64_t IpUsersBaseline(const Baselines& b, const std::string& ip) {
  const auto it = b.ip_users.find(ip);
  return it == b.ip_users.end() ? -1 : it->second;
}

int64_t BurstLimit(const Thresholds& t, int64_t baseline) {
  return AdaptiveLimit(t.burst_adaptive, t.burst_limit, t.burst_floor, t.burst_factor, baseline);
}

int64_t IpUsersLimit(const Thresholds& t, int64_t baseline) {
  return AdaptiveLimit(t.ip_users_adaptive, t.ip_users_threshold, t.ip_users_floor, t.ip_users_factor, baseline);
}

int64_t LowestBurstLimit(const Thresholds& t) {
  return t.burst_adaptive ? std::min(t.burst_limit, t.burst_floor) : t.burst_limit;
}

int64_t LowestIpUsersLimit(const Thresholds& t) {
  return t.ip_users_adaptive ? std::min(t.ip_users_threshold, t.ip_users_floor) : t.ip_users_threshold;
}

int64_t P99OfWindows(std::vector<int64_t>* counts, int64_t windows) {
  const auto rank = static_cast<size_t>(windows / 100);  // 0-based rank from the top
  if (counts->size() <= rank) return 0;
  std::nth_element(counts->begin(), counts->begin() + static_cast<ptrdiff_t>(rank), counts->end(), std::greater<>());
  return (*counts)[rank];
}

double LogSize(int64_t tokens) { return std::log1p(static_cast<double>(std::max<int64_t>(tokens, 0))); }

double BigRequestLimit(const SizeStats& baseline, const Thresholds& thresholds) {
  if (baseline.n < static_cast<double>(thresholds.big_request_min_samples)) return -1;
  const double mean = baseline.sum / baseline.n;
  const double variance = std::max(0.0, baseline.sum_squares / baseline.n - mean * mean);
  return std::expm1(mean + thresholds.big_request_sigma * std::sqrt(variance));
}

bool AllowList::AddNetwork(std::string_view text, std::string* error) {
  Network network{};
  std::string_view address = text;
  int prefix = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view bits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty()) {
      *error = "bad prefix length in '" + std::string(text) + "'";
      return false;
    }
  }
  network.family_bytes = ParseAddress(address, network.bytes);
  if (network.family_bytes == 0) {
    *error = "'" + std::string(text) + "' is not an IP address or CIDR";
    return false;
  }
  const int max_bits = network.family_bytes * 8;
  if (prefix < 0) prefix = max_bits;
  if (prefix > max_bits) {
    *error = "prefix length of '" + std::string(text) + "' is over " + std::to_string(max_bits);
    return false;
  }
  network.prefix_bits = prefix;
  networks_.push_back(network);
  return true;
}

bool AllowList::AllowsIp(std::string_view ip) const {
  if (ip.empty() || networks_.empty()) return false;
  unsigned char bytes[16];
  const int family = ParseAddress(ip, bytes);
  if (family == 0) return false;
  for (const Network& n : networks_) {
    if (n.family_bytes != family) continue;
    int bits = n.prefix_bits, i = 0;
    bool match = true;
    for (; bits >= 8 && match; bits -= 8, ++i) match = bytes[i] == n.bytes[i];
    if (match && bits > 0) {
      const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - bits));
      match = (bytes[i] & mask) == (n.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

bool RowSelection::Selects(const newapi::LogRow& row) const {
  return types.Has(row.type) && (!token || row.token_id > 0) && (!user || row.user_id > 0) && (!ip || !row.ip.empty());
}

std::string RowSelection::Sql() const {
  return types.Sql() + (token ? " AND token_id > 0" : "") + (user ? " AND user_id > 0" : "") +
         (ip ? " AND ip <> ''" : "");
}

RowSelection RowsOf(Rule rule) {
  using newapi::kLogConsume;
  switch (rule) {
    case Rule::kBurst: return {{kLogConsume}, true, false, false};
    case Rule::kMultiUserToken: return {{kLogConsume}, true, false, true};
    case Rule::kIpManyUsers: return {{kLogConsume, newapi::kLogError, newapi::kLogLogin}, false, true, true};
    case Rule::kBigRequest: return {{kLogConsume}, false, false, false};
  }
  return {};
}

bool AllowList::AllowsRow(const newapi::LogRow& row) const {
  return token_ids.count(row.token_id) != 0 || user_ids.count(row.user_id) != 0 ||
         channel_ids.count(row.channel_id) != 0 || AllowsIp(row.ip);
}

bool AllowList::empty() const {
  return token_ids.empty() && user_ids.empty() && channel_ids.empty() && networks_.empty();
}

std::string AllowList::SqlCondition(const Dialect& d) const {
  std::vector<std::string> terms;
  auto id_list = [&terms](const char* column, const std::set<int64_t>& ids) {
    if (ids.empty()) return;
    std::string term = std::string(column) + " IN (";
    for (int64_t id : ids) term += std::to_string(id) + ",";
    term.back() = ')';
    terms.push_back(term);
  };
  id_list("token_id", token_ids);
  id_list("user_id", user_ids);
  id_list("channel_id", channel_ids);
  for (const Network& n : networks_) terms.push_back(d.IpInNetwork("ip", n.bytes, n.family_bytes, n.prefix_bits));
  if (terms.empty()) return "";
  std::string sql = "COALESCE(";
  for (size_t i = 0; i < terms.size(); ++i) sql += (i ? " OR " : "") + terms[i];
  return sql + ", FALSE)";
}

std::vector<Finding> Summarize(const std::vector<Hit>& hits, int64_t start, int64_t end) {
  // Windows are deduplicated first: the streaming evaluator re-reports a window whose score grew.
  using WindowKey = std::tuple<Rule, std::string, int64_t, int64_t>;
  std::map<WindowKey, const Hit*> windows;
  for (const Hit& hit : hits) {
    if (hit.window_start >= end || hit.window_end < start) continue;
    const Hit*& best = windows[{hit.rule, hit.subject_id, hit.window_start, hit.window_end}];
    if (best == nullptr || hit.score > best->score) best = &hit;
  }
  std::map<std::pair<Rule, std::string>, Finding> findings;
  for (const auto& [key, hit] : windows) {
    Finding& f = findings[{hit->rule, hit->subject_id}];
    if (f.windows == 0) {
      f = {hit->rule,  hit->subject_type, hit->subject_id,   hit->subject_name,
           hit->score, hit->threshold,    hit->window_start, hit->window_end,
           0,          hit->baseline};
    }
    f.peak_score = std::max(f.peak_score, hit->score);
    f.first_window_start = std::min(f.first_window_start, hit->window_start);
    f.last_window_end = std::max(f.last_window_end, hit->window_end);
    ++f.windows;
  }
  std::vector<Finding> out;
  for (auto& [key, f] : findings) out.push_back(std::move(f));
  return out;
}

}  // namespace observer::rules
