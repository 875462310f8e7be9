// Sends random and hostile Alertmanager payloads to the chat relay of a running aggregator and counts the answers: a
// dropped connection or a 5xx other than 502 (delivery failed) and 503 (rate limit) is a failure. Payloads: plausible
// notifications with random texts and links, wrong JSON types, nesting up to 200,000 deep, truncated JSON and random
// bytes, bodies past the size limit. Deterministic for a seed.
// Usage: relay_fuzz PORT [REQUESTS] [SEED] [BEARER_TOKEN]; prints a summary, exits 1 on any failure.
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> kPaths = {"/relay/dingtalk", "/relay/feishu",  "/relay/wecom",  "/relay/webhook",
                                         "/relay/oncall",   "/relay/default", "/relay/unknown"};

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::string Pick(const std::vector<std::string>& items) { return items[Below(items.size())]; }

  // A JSON string literal with plausible and hostile text: markdown, mentions, links, CJK, controls, long runs.
  std::string Text() {
    std::string raw;
    size_t kind = Below(11);
    if (kind >= 9) ++kind;  // case 9 (invalid UTF-8: the whole payload is a 400) only now and then
    if (Chance(0.01)) kind = 9;
    switch (kind) {
      case 0: raw = ""; break;
      case 1: raw = "令牌 sk-team（id 42）请求突增"; break;
      case 2: raw = "<at id=all></at> @all **bold** [x](https://evil.example/) ![i](http://x/y.png)"; break;
      case 3: raw = std::string(Below(Chance(0.2) ? 100000 : 2000) + 1, 'x'); break;
      case 4: raw = "/anomalies/detail?rule=burst&subject_id=" + std::to_string(Below(100000)); break;
      case 5:
        raw = Pick({"https://evil.example/login", "//evil.example", "javascript:alert(1)", "/\\evil", "\t//x"});
        break;
      case 6: raw = "2026-12-03T04:15:00." + std::string(Below(30), '9') + "Z"; break;
      case 7:
        raw = Pick({"2026-13-45T99:99:99Z", "0000-00-00T00:00:00+99:99", "yesterday", "2024-05-01T12:00:00-05:00"});
        break;
      case 8:
        for (int i = 0, n = static_cast<int>(Below(40)); i < n; ++i) raw += static_cast<char>(Below(32));
        break;
      case 9: raw = "\xe4\xb8\xad\xe6\x96\x87\xff\xfe\xc0\x80"; break;  // UTF-8, then invalid bytes (rare: a 400)
      case 10: raw = "{{ $labels.x }} %s %n %%"; break;
      case 11: raw = "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x94\xa5 " + std::string(Below(300), 'z'); break;
      default:
        raw = "Token " + std::to_string(Below(1000)) + " sent " + std::to_string(Below(100000)) + " requests";
        break;
    }
    std::string out = "\"";
    for (unsigned char c : raw) {
      if (c == '"' || c == '\\')
        out += '\\', out += static_cast<char>(c);
      else if (c < 0x20) {
        char u[8];
        std::snprintf(u, sizeof u, "\\u%04x", c);
        out += u;
      } else
        out += static_cast<char>(c);
    }
    return out + "\"";
  }

  // Any JSON value, sometimes of the wrong type where a string is expected.
  std::string Value(int depth) {
    if (depth > 3 || Chance(0.97)) return Text();
    switch (Below(5)) {
      case 0: return std::to_string(static_cast<int64_t>(Below(1000000)) - 500);
      case 1: return Pick({"true", "false", "null", "1e308", "-0"});
      case 2: return "[" + Value(depth + 1) + "," + Value(depth + 1) + "]";
      case 3: return "{\"k\":" + Value(depth + 1) + "}";
      default: return Nested(1 + Below(Chance(0.3) ? 200000 : 64));
    }
  }

  std::string Nested(size_t depth) {
    const bool arrays = Chance(0.5);
    std::string open, close;
    for (size_t i = 0; i < depth; ++i) {
      open += arrays ? "[" : "{\"a\":";
      close += arrays ? "]" : "}";
    }
    return open + "1" + close;
  }

  std::string Map(const std::vector<std::string>& names) {
    std::string out = "{";
    for (size_t i = 0, n = Below(names.size() + 3); i < n; ++i) {
      const std::string name = Chance(0.9) ? "\"" + Pick(names) + "\"" : Text();
      out += (i ? "," : "") + name + ":" + Value(0);
    }
    return out + "}";
  }

  std::string Alert() {
    std::string out = "{\"status\":" + (Chance(0.97) ? Pick({"\"firing\"", "\"resolved\""}) : Value(0));
    out += ",\"labels\":" + (Chance(0.95) ? Map({"alertname", "severity", "rule", "subject_type", "subject_id",
                                                 "subject_name", "instance", "job", "channel", "model"})
                                          : Value(1));
    out +=
        ",\"annotations\":" +
        (Chance(0.95) ? Map({"summary", "description", "summary_zh", "description_zh", "runbook_url", "drilldown_path"})
                      : Value(1));
    if (Chance(0.9)) out += ",\"startsAt\":" + Value(0);
    if (Chance(0.5)) out += ",\"endsAt\":" + Value(0);
    if (Chance(0.5)) out += ",\"fingerprint\":" + Value(0);
    return out + "}";
  }

  std::string Body() {
    const size_t kind = Below(100);
    if (kind < 55) {  // a notification of 1..60 alerts, sometimes with stray or mistyped members
      std::string alerts;
      for (size_t i = 0, n = 1 + Below(Chance(0.1) ? 60 : 5); i < n; ++i) alerts += (i ? "," : "") + Alert();
      std::string out = "{\"version\":\"4\",\"status\":" + Pick({"\"firing\"", "\"resolved\"", "\"firing\"", "7"}) +
                        ",\"receiver\":" + Value(0) + ",\"groupLabels\":" + Map({"alertname", "rule"}) +
                        ",\"commonLabels\":" + Map({"alertname", "severity"}) +
                        ",\"truncatedAlerts\":" + Pick({"0", "0", "3", "-1", "99999999999", "\"x\""}) +
                        ",\"alerts\":[" + alerts + "]}";
      return out;
    }
    if (kind < 70) return "{\"alerts\":" + Value(0) + "}";                     // alerts of the wrong type
    if (kind < 80) return "{\"alerts\":[" + Nested(1 + Below(200000)) + "]}";  // nesting far past the bound
    if (kind < 90) {                                                           // truncated or random bytes
      std::string body = Alert();
      body.resize(Below(body.size() + 1));
      if (Chance(0.5))
        for (int i = 0; i < 64; ++i) body += static_cast<char>(Below(256));
      return body;
    }
    if (kind < 95)
      return "{\"alerts\":[" + Alert() + "]," + "\"pad\":\"" + std::string(1 + Below(3000000), 'p') + "\"}";
    return "";
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: relay_fuzz PORT [REQUESTS] [SEED] [BEARER_TOKEN]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int requests = argc > 2 ? std::atoi(argv[2]) : 3000;
  Fuzzer fuzz(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
  httplib::Headers headers;
  if (argc > 4) headers.emplace("Authorization", std::string("Bearer ") + argv[4]);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  std::map<int, int> by_status;
  std::map<std::string, int> answers;  // status and the start of the answer, to show what the relay said
  int failures = 0;
  for (int i = 0; i < requests; ++i) {
    const std::string path = fuzz.Pick(kPaths);
    const std::string body = fuzz.Body();
    const std::string type = fuzz.Chance(0.95) ? "application/json" : "text/plain";
    auto res = client.Post(path, headers, body, type);
    const int status = res ? res->status : -1;
    ++by_status[status];
    if (res) ++answers[std::to_string(status) + " " + res->body.substr(0, 110)];
    if (status < 0 || (status >= 500 && status != 502 && status != 503)) {
      if (++failures <= 20)
        std::printf("FAIL %d %s %zu bytes: %.200s\n", status, path.c_str(), body.size(), body.c_str());
    }
  }
  std::printf("%d requests:", requests);
  for (const auto& [status, count] : by_status) std::printf(" %d x%d", status, count);
  std::printf("; %d failures\n", failures);
  for (const auto& [answer, count] : answers) {
    if (count >= requests / 100) std::printf("  %5d x %s\n", count, answer.c_str());
  }
  return failures == 0 ? 0 : 1;
}
