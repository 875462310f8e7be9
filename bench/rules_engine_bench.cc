// Throughput and memory of the streaming risk rules (all four) with many active subjects, against a baseline pass
// measured in the same run: the cheapest stateful pass over the same rows (a count per token in a hash map).
// Usage: rules_engine_bench [rows] [tokens] [ips]; run by bench/rules_engine.sh.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "observer/rules/streaming_rules.h"

namespace {

double RssMiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 2'000'000;
  const int64_t tokens = argc > 2 ? std::atoll(argv[2]) : 100'000;
  const int64_t ips = argc > 3 ? std::atoll(argv[3]) : 20'000;
  const int64_t span_seconds = 540;  // every subject stays inside the 10-minute windows
  const int64_t start = 1'767'225'600 + 3600;

  // Rows as the tailer hands them over: increasing created_at, random tokens, IPs and models; 1 % logins.
  std::mt19937_64 rng(7);
  std::vector<std::string> ip_text(static_cast<size_t>(ips));
  for (int64_t i = 0; i < ips; ++i) {
    ip_text[static_cast<size_t>(i)] =
        "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
  }
  std::vector<observer::newapi::LogRow> input(static_cast<size_t>(rows));
  std::lognormal_distribution<double> size(7.5, 0.8);
  for (int64_t i = 0; i < rows; ++i) {
    observer::newapi::LogRow& row = input[static_cast<size_t>(i)];
    row.id = i + 1;
    row.created_at = start + i * span_seconds / rows;
    row.type = rng() % 100 == 0 ? observer::newapi::kLogLogin : observer::newapi::kLogConsume;
    row.token_id = static_cast<int64_t>(rng() % static_cast<uint64_t>(tokens)) + 1;
    row.user_id = row.token_id / 2 + 1;
    row.token_name = "token-" + std::to_string(row.token_id);
    // Most requests come from the user's own address (2-3 users share one, like a household); 0.5 % from anywhere.
    const bool roaming = rng() % 200 == 0;
    row.ip = ip_text[static_cast<size_t>(roaming ? static_cast<int64_t>(rng() % static_cast<uint64_t>(ips))
                                                 : row.user_id % ips)];
    row.model_name = "model-" + std::to_string(rng() % 20);
    row.prompt_tokens = static_cast<int64_t>(size(rng));
    row.completion_tokens = 200;
  }
  // A day of baseline rows per model first, so big_request evaluates every row.
  std::vector<observer::newapi::LogRow> baseline;
  for (int64_t h = 24; h >= 1; --h) {
    for (int m = 0; m < 20; ++m) {
      for (int k = 0; k < 10; ++k) {
        observer::newapi::LogRow row;
        row.type = observer::newapi::kLogConsume;
        row.created_at = start - h * 3600;
        row.model_name = "model-" + std::to_string(m);
        row.prompt_tokens = static_cast<int64_t>(size(rng));
        baseline.push_back(row);
      }
    }
  }

  // Baseline pass: a count per token.
  auto started = std::chrono::steady_clock::now();
  std::unordered_map<int64_t, int64_t> counts;
  for (const auto& row : input) ++counts[row.token_id];
  const double baseline_seconds = Seconds(started);

  const double rss_before = RssMiB();
  observer::rules::StreamingRules rules({}, {});
  for (const auto& row : baseline) rules.Observe(row);
  size_t hits = 0;
  started = std::chrono::steady_clock::now();
  for (const auto& row : input) hits += rules.Observe(row).size();
  const double engine_seconds = Seconds(started);
  const double rss_after = RssMiB();

  std::printf("rows                 %lld (%lld tokens, %lld IPs, 20 models, %lld s of traffic)\n",
              static_cast<long long>(rows), static_cast<long long>(tokens), static_cast<long long>(ips),
              static_cast<long long>(span_seconds));
  std::printf("baseline pass        %.0f rows/s (count per token)\n", static_cast<double>(rows) / baseline_seconds);
  std::printf("four rules           %.0f rows/s, %.2f us/row\n", static_cast<double>(rows) / engine_seconds,
              engine_seconds * 1e6 / static_cast<double>(rows));
  std::printf("cost ratio           %.1fx the baseline pass\n", engine_seconds / baseline_seconds);
  std::printf("tracked keys         %zu (untracked %llu), hits %zu, counted tokens %zu\n", rules.tracked_keys(),
              static_cast<unsigned long long>(rules.untracked()), hits, counts.size());
  std::printf("rules memory (RSS)   %.1f MiB\n", rss_after - rss_before);
  return 0;
}
