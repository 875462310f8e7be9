// Anomaly and decoy plans: which rows, from which token/user/IP, at which offsets.
#include "anomalies.h"

#include <fstream>

#include <algorithm>
#include <cmath>
#include <set>

namespace sim {
namespace {

std::string FreshIp(Rng& rng) {
  // 198.18.0.0/15 is reserved for benchmarking: it never collides with the population's ISP-range addresses.
  return "198." + std::to_string(18 + rng.UniformInt(0, 1)) + "." + std::to_string(rng.UniformInt(0, 255)) + "." +
         std::to_string(rng.UniformInt(1, 254));
}

Injection Begin(std::string kind, std::string subject_type, std::string subject_id, int64_t start) {
  Injection inj;
  inj.kind = std::move(kind);
  inj.subject_type = std::move(subject_type);
  inj.subject_id = std::move(subject_id);
  inj.start = inj.end = start;
  return inj;
}

void Add(Injection* inj, double at, LogRow row) {
  row.created_at = inj->start + static_cast<int64_t>(at);
  inj->rows.push_back({at, std::move(row)});
}

void Finish(Injection* inj) {
  double last = 0;
  for (const PlannedRow& r : inj->rows) last = std::max(last, r.at_seconds);
  inj->end = inj->start + static_cast<int64_t>(std::ceil(last));
}

bool Usable(const Population& p, const Token& t) { return t.status == 1 && p.users[t.user_index].status == 1; }

}  // namespace

size_t PickQuietToken(TrafficGenerator& gen, bool needs_ip_log) {
  const Population& p = gen.population();
  std::vector<double> weights;
  for (const User& u : p.users) weights.push_back(u.traffic_weight);
  std::sort(weights.begin(), weights.end());
  const double median = weights[weights.size() / 2];
  for (int attempt = 0; attempt < 10000; ++attempt) {
    const size_t t = static_cast<size_t>(gen.rng().Next() % p.tokens.size());
    const User& u = p.users[p.tokens[t].user_index];
    if (Usable(p, p.tokens[t]) && u.traffic_weight <= median && (!needs_ip_log || u.record_ip_log) && u.id != 1) {
      return t;
    }
  }
  for (size_t t = 0; t < p.tokens.size(); ++t) {
    if (Usable(p, p.tokens[t]) && (!needs_ip_log || p.users[p.tokens[t].user_index].record_ip_log)) return t;
  }
  return 0;
}

Injection PlanBurst(TrafficGenerator& gen, int64_t start) {
  Injection inj = Begin("burst", "token", "", start);
  const size_t token = PickQuietToken(gen, false);
  const int model = gen.catalog().ModelIndex("gpt-4o-mini");
  constexpr int kRequests = 170;  // the rule fires at 120 in 60 s; 170 in 56 s leaves no doubt
  constexpr double kSpan = 56.0;
  for (int i = 0; i < kRequests; ++i) {
    Add(&inj, kSpan * i / kRequests, gen.Consume(start, token, model));
  }
  Finish(&inj);
  inj.subject_id = std::to_string(gen.population().tokens[token].id);
  inj.details = {{"token_id", gen.population().tokens[token].id},
                 {"token_name", gen.population().tokens[token].name},
                 {"user_id", gen.population().tokens[token].user_id},
                 {"requests", kRequests},
                 {"window_seconds", kSpan}};
  return inj;
}

Injection PlanSharedKey(TrafficGenerator& gen, int64_t start) {
  Injection inj = Begin("multi_user_token", "token", "", start);
  const size_t token = PickQuietToken(gen, true);
  std::vector<std::string> ips;
  std::set<std::string> seen;
  while (ips.size() < 14) {
    std::string ip = FreshIp(gen.rng());
    if (seen.insert(ip).second) ips.push_back(ip);
  }
  constexpr int kRequests = 36;  // three requests from each of 12+ IPs in 3 minutes (rule window: 10 minutes)
  constexpr double kSpan = 180.0;
  for (int i = 0; i < kRequests; ++i) {
    Add(&inj, kSpan * i / kRequests, gen.Consume(start, token, -1, ips[static_cast<size_t>(i) % ips.size()]));
  }
  Finish(&inj);
  inj.subject_id = std::to_string(gen.population().tokens[token].id);
  inj.details = {{"token_id", gen.population().tokens[token].id},
                 {"user_id", gen.population().tokens[token].user_id},
                 {"distinct_ips", ips.size()},
                 {"ips", ips},
                 {"requests", kRequests}};
  return inj;
}

Injection PlanIpManyUsers(TrafficGenerator& gen, int64_t start) {
  const Population& p = gen.population();
  const std::string ip = FreshIp(gen.rng());
  Injection inj = Begin("ip_many_users", "ip", ip, start);
  std::set<size_t> users;
  std::vector<int64_t> user_ids;
  constexpr size_t kUsers = 9;
  for (int attempt = 0; users.size() < kUsers && attempt < 10000; ++attempt) {
    const size_t t = PickQuietToken(gen, attempt % 2 == 0);  // half of them record IPs on their API calls too
    const size_t u = p.tokens[t].user_index;
    if (!users.insert(u).second) continue;
    const double at = 20.0 * static_cast<double>(users.size() - 1);  // 9 users within 3 minutes
    Add(&inj, at, gen.Login(start, u, ip));
    Add(&inj, at + 5, gen.Consume(start, t, -1, ip));
    Add(&inj, at + 20, gen.Consume(start, t, -1, ip));
    user_ids.push_back(p.users[u].id);
  }
  Finish(&inj);
  inj.details = {{"ip", ip}, {"distinct_users", user_ids.size()}, {"user_ids", user_ids}};
  return inj;
}

Injection PlanBigRequest(TrafficGenerator& gen, int64_t start) {
  const int model_index = gen.catalog().ModelIndex("gpt-4o");
  const ModelSpec& model = gen.catalog().models[static_cast<size_t>(model_index)];
  const double mean = ExpectedTotalTokens(model), sd = TotalTokensStddev(model);
  const int64_t completion = 2000;
  const int64_t prompt = std::max<int64_t>(400000, std::llround(mean + 12 * sd) - completion);
  const size_t token = PickQuietToken(gen, false);
  Injection inj = Begin("big_request", "request", "", start);
  Add(&inj, 0, gen.Consume(start, token, model_index, "", prompt, completion));
  Finish(&inj);
  inj.subject_id = inj.rows.front().row.request_id;
  inj.details = {{"request_id", inj.subject_id},
                 {"token_id", gen.population().tokens[token].id},
                 {"model", model.name},
                 {"prompt_tokens", prompt},
                 {"completion_tokens", completion},
                 {"model_mean_tokens", std::llround(mean)},
                 {"model_stddev_tokens", std::llround(sd)},
                 {"sigmas", (static_cast<double>(prompt + completion) - mean) / sd}};
  return inj;
}

Injection PlanSteadyToken(TrafficGenerator& gen, int64_t start) {
  Injection inj = Begin("decoy_steady_token", "token", "", start);
  const size_t token = PickQuietToken(gen, false);
  constexpr int kRequests = 500;  // one every 0.6 s: 100 per minute for 5 minutes, under the 120 limit
  for (int i = 0; i < kRequests; ++i) Add(&inj, 0.6 * i, gen.Consume(start, token));
  Finish(&inj);
  inj.subject_id = std::to_string(gen.population().tokens[token].id);
  inj.details = {{"token_id", gen.population().tokens[token].id}, {"per_minute", 100}, {"minutes", 5}};
  return inj;
}

Injection PlanFamilyIp(TrafficGenerator& gen, int64_t start) {
  const Population& p = gen.population();
  Injection inj = Begin("decoy_shared_ip", "ip", p.family_ip, start);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < p.family_users.size(); ++i) {
    const User& u = p.users[p.family_users[i]];
    const double at = 60.0 * static_cast<double>(i);
    Add(&inj, at, gen.Login(start, p.family_users[i], p.family_ip));
    for (size_t t : u.tokens) {
      if (p.tokens[t].status != 1) continue;
      Add(&inj, at + 10, gen.Consume(start, t, -1, p.family_ip));
      Add(&inj, at + 30, gen.Consume(start, t, -1, p.family_ip));
      break;
    }
    ids.push_back(u.id);
  }
  Finish(&inj);
  inj.details = {{"ip", p.family_ip}, {"user_ids", ids}, {"why", "a family/office behind one IP: 3 users"}};
  return inj;
}

Injection PlanHomeAndMobile(TrafficGenerator& gen, int64_t start) {
  const Population& p = gen.population();
  Injection inj = Begin("decoy_home_mobile", "token", "", start);
  for (size_t t = 0; t < p.tokens.size(); ++t) {
    const User& u = p.users[p.tokens[t].user_index];
    if (!Usable(p, p.tokens[t]) || !u.record_ip_log || u.mobile_ip.empty() || u.id == 1) continue;
    for (int i = 0; i < 20; ++i) {
      Add(&inj, 30.0 * i, gen.Consume(start, t, -1, i % 2 == 0 ? u.home_ip : u.mobile_ip));
    }
    inj.subject_id = std::to_string(p.tokens[t].id);
    inj.details = {{"token_id", p.tokens[t].id}, {"ips", {u.home_ip, u.mobile_ip}}};
    break;
  }
  Finish(&inj);
  return inj;
}

Injection PlanWideModelRequest(TrafficGenerator& gen, int64_t start) {
  const int model_index = gen.catalog().ModelIndex("qwen-long");
  const ModelSpec& model = gen.catalog().models[static_cast<size_t>(model_index)];
  const double mean = ExpectedTotalTokens(model), sd = TotalTokensStddev(model);
  const int64_t completion = 300;
  const int64_t prompt = std::llround(mean + 2 * sd) - completion;
  const size_t token = PickQuietToken(gen, false);
  Injection inj = Begin("decoy_wide_model", "request", "", start);
  Add(&inj, 0, gen.Consume(start, token, model_index, "", prompt, completion));
  Finish(&inj);
  inj.subject_id = inj.rows.front().row.request_id;
  inj.details = {{"request_id", inj.subject_id},
                 {"model", model.name},
                 {"prompt_tokens", prompt},
                 {"completion_tokens", completion},
                 {"model_mean_tokens", std::llround(mean)},
                 {"model_stddev_tokens", std::llround(sd)},
                 {"sigmas", 2.0}};
  return inj;
}

Injection PlanAnomaly(int kind_index, TrafficGenerator& gen, int64_t start) {
  switch (kind_index % 4) {
    case 0: return PlanBurst(gen, start);
    case 1: return PlanSharedKey(gen, start);
    case 2: return PlanIpManyUsers(gen, start);
    default: return PlanBigRequest(gen, start);
  }
}

Injection PlanDecoy(int kind_index, TrafficGenerator& gen, int64_t start) {
  switch (kind_index % 4) {
    case 0: return PlanSteadyToken(gen, start);
    case 1: return PlanHomeAndMobile(gen, start);
    case 2: return PlanFamilyIp(gen, start);
    default: return PlanWideModelRequest(gen, start);
  }
}

nlohmann::json InjectionJson(const Injection& inj) {
  return {{"kind", inj.kind},
          {"subject_type", inj.subject_type},
          {"subject_id", inj.subject_id},
          {"start", inj.start},
          {"end", inj.end},
          {"details", inj.details}};
}

void AppendInjection(const Injection& inj, const std::string& file) {
  if (file.empty()) return;
  std::ofstream out(file, std::ios::app);
  out << InjectionJson(inj).dump() << "\n";
}

std::vector<Injection> PlanAdaptivePair(TrafficGenerator& gen, int64_t start) {
  const int model = gen.catalog().ModelIndex("gpt-4o-mini");
  const size_t heavy = PickQuietToken(gen, false);
  size_t quiet = PickQuietToken(gen, false);
  while (quiet == heavy) quiet = PickQuietToken(gen, false);
  Injection steady = Begin("adaptive_heavy_token", "token", std::to_string(gen.population().tokens[heavy].id), start);
  constexpr int kHeavyMinutes = 150, kHeavyPerMinute = 300;  // 150 busy minutes: over 1 % of the baseline's week
  for (int i = 0; i < kHeavyMinutes * kHeavyPerMinute; ++i) {
    Add(&steady, 60.0 * i / kHeavyPerMinute, gen.Consume(start, heavy, model));
  }
  Finish(&steady);
  steady.details = {
      {"token_id", gen.population().tokens[heavy].id}, {"per_minute", kHeavyPerMinute}, {"minutes", kHeavyMinutes}};
  constexpr int kQuietMinutes = 600, kQuietPerMinute = 6, kJumpMinutes = 5, kJumpPerMinute = 60;
  Injection before = Begin("quiet_token_usual", "token", "", start);
  for (int i = 0; i < kQuietMinutes * kQuietPerMinute; ++i) {
    Add(&before, 60.0 * i / kQuietPerMinute, gen.Consume(start, quiet, model));
  }
  const int64_t jump_start = start + kQuietMinutes * 60;
  Injection jump = Begin("adaptive_quiet_jump", "token", std::to_string(gen.population().tokens[quiet].id), jump_start);
  for (int i = 0; i < kJumpMinutes * kJumpPerMinute; ++i) {
    Add(&jump, 60.0 * i / kJumpPerMinute, gen.Consume(jump_start, quiet, model));
  }
  Finish(&jump);
  jump.details = {{"token_id", gen.population().tokens[quiet].id},
                  {"usual_per_minute", kQuietPerMinute},
                  {"usual_minutes", kQuietMinutes},
                  {"per_minute", kJumpPerMinute},
                  {"minutes", kJumpMinutes}};
  // The usual traffic is scheduled with the jump but not reported: it is the baseline, not an injection.
  jump.rows.insert(jump.rows.begin(), before.rows.begin(), before.rows.end());
  return {std::move(steady), std::move(jump)};
}

std::vector<Injection> ScheduleHistoryInjections(HistoryGenerator& history, int64_t first, int64_t end,
                                                 int64_t interval) {
  std::vector<Injection> planned;
  if (interval > 0 && end - first >= 11 * 3600) {
    for (Injection inj : PlanAdaptivePair(history.traffic(), first)) {
      std::vector<LogRow> rows;
      for (PlannedRow& p : inj.rows) rows.push_back(p.row);
      history.Schedule(std::move(rows));
      planned.push_back(std::move(inj));
    }
  }
  int cycle = 0;
  for (int64_t start = first; interval > 0 && start < end; start += interval, ++cycle) {
    for (Injection inj : {PlanAnomaly(cycle, history.traffic(), start), PlanDecoy(cycle, history.traffic(), start)}) {
      if (inj.rows.empty()) continue;
      std::vector<LogRow> rows;
      for (PlannedRow& p : inj.rows) rows.push_back(p.row);
      history.Schedule(std::move(rows));
      planned.push_back(std::move(inj));
    }
  }
  return planned;
}

}  // namespace sim
