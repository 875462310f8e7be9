// Sends random and malformed parameter sets to every JSON API endpoint of a running exporter and counts the answers:
// a 5xx other than 504 (a query the database stopped) is a failure, so is a dropped connection. Deterministic for a
// seed. Usage: api_fuzz PORT [REQUESTS] [SEED]; prints a summary, exits 1 on any failure.
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

// Each endpoint with the parameters it knows, so most requests pass validation and reach the database.
const std::vector<std::pair<std::string, std::vector<std::string>>> kEndpoints = {
    {"/api/stats/series", {"slot_sec", "tz", "model", "channel", "group"}},
    {"/api/stats/top", {"by", "metric", "limit", "model", "channel", "group"}},
    {"/api/stats/active", {"model", "channel", "group", "user", "token"}},
    {"/api/stats/heatmap", {"metric", "tz", "model", "channel", "group"}},
    {"/api/stats/anomalies", {"rule", "window_sec", "threshold", "users_threshold", "sigma"}},
    {"/api/stats/anomalies/detail", {"rule", "subject_id", "window_sec", "threshold", "sigma"}},
    {"/api/logs", {"user_id", "token_id", "ip", "limit"}},
    {"/api/export/csv", {"query", "bom", "by", "metric", "slot_sec", "rule", "user_id", "ip", "limit", "tz"}},
};
const std::vector<std::string> kJunkNames = {"junk", "START_MS", "", "start_ms[]", "subject_type", "by"};

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}

  std::string Pick(const std::vector<std::string>& items) { return items[Below(items.size())]; }
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  // Mostly plausible values (so requests get past validation and reach the database), some hostile ones.
  std::string Value(const std::string& name) {
    const int64_t now_ms = 1793664000000;
    if (Chance(0.08)) return Hostile();
    if (name == "start_ms" || name == "end_ms") {
      const int64_t back = (name == "start_ms" ? static_cast<int64_t>(Below(10)) + 1 : static_cast<int64_t>(Below(2))) *
                           3600000 * (Chance(0.3) ? 24 : 1);
      return std::to_string(now_ms - back + (Chance(0.5) ? static_cast<int64_t>(Below(59999)) : 0));
    }
    if (name == "slot_sec") return Pick({"60", "300", "3600", "86400", "7", "0", "-60", "1e3"});
    if (name == "tz")
      return Pick({"UTC", "Asia/Shanghai", "America/New_York", "+08:00", "-03:30", "+99:99", "Mars/Base",
                   "../../../../etc/passwd", "Etc/GMT+14", "Asia/Kolkata"});
    if (name == "by") return Pick({"user", "token", "model", "channel", "ip", ""});
    if (name == "metric") return Pick({"tokens", "reqs", "quota_sum", "quota", "errors", "bytes"});
    if (name == "rule") return Pick({"burst", "multi_user_token", "ip_many_users", "big_request", "burst2"});
    if (name == "query") return Pick({"series", "top", "heatmap", "anomalies", "logs", "users"});
    if (name == "bom") return Pick({"0", "1", "2", "yes"});
    if (name == "ip") return Pick({"10.0.0.1", "2001:db8::1", "999.1.1.1", "", "127.0.0.1"});
    if (name == "sigma") return Pick({"4", "0.5", "-1", "1e308", "nan"});
    return std::to_string(static_cast<int64_t>(Below(2000)) - 10);
  }

  std::string Hostile() {
    switch (Below(10)) {
      case 0: return "";
      case 1: return "9223372036854775807";
      case 2: return "-9223372036854775808";
      case 3: return "99999999999999999999999999";
      case 4: return "1.5";
      case 5: return "'; DROP TABLE logs; --";
      case 6: return std::string(Below(Chance(0.1) ? 20000 : 2000) + 1, 'a');
      case 7: return "\xe4\xb8\xad\xe6\x96\x87\xff\xfe";  // UTF-8 then invalid bytes
      case 8: return "%00%0d%0a";
      default: return "NaN";
    }
  }

  // A target: an endpoint, usually with a plausible range, some of its own parameters, now and then a stray one.
  std::string Target() {
    const auto& [path, names] = kEndpoints[Below(kEndpoints.size())];
    std::vector<std::pair<std::string, std::string>> params;
    if (Chance(0.9)) params.push_back({"start_ms", Value("start_ms")});
    if (Chance(0.9)) params.push_back({"end_ms", Value("end_ms")});
    for (size_t i = 0, n = Below(4); i < n; ++i) {
      const std::string name = Chance(0.95) ? Pick(names) : Pick(kJunkNames);
      params.push_back({name, Value(name)});
    }
    std::string q;
    for (const auto& [name, value] : params) {
      q += (q.empty() ? "" : "&") + httplib::detail::encode_query_param(name) + "=" +
           httplib::detail::encode_query_param(value);
    }
    return path + "?" + q;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: api_fuzz PORT [REQUESTS] [SEED]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int requests = argc > 2 ? std::atoi(argv[2]) : 10000;
  Fuzzer fuzz(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  std::map<int, int> by_status;
  int failures = 0;
  for (int i = 0; i < requests; ++i) {
    const std::string target = fuzz.Target();
    auto res = client.Get(target);
    const int status = res ? res->status : -1;
    ++by_status[status];
    if (status < 0 || (status >= 500 && status != 504)) {
      if (++failures <= 20) std::printf("FAIL %d %s\n", status, target.substr(0, 300).c_str());
    }
  }
  std::printf("%d requests:", requests);
  for (const auto& [status, count] : by_status) std::printf(" %d x%d", status, count);
  std::printf("; %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
