// Plans the anomalies the risk rules must catch (burst, shared key, one IP farming accounts, absurd request) and
// the decoys they must not flag, as timed rows. Pure: the live injector inserts the rows when they fall due.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traffic.h"

namespace sim {

struct PlannedRow {
  double at_seconds;  // offset from the injection's start
  LogRow row;         // created_at = start + at_seconds (the injector restamps it with the real insert time)
};

struct Injection {
  std::string kind;  // burst, multi_user_token, ip_many_users, big_request, decoy_*
  std::string subject_type;
  std::string subject_id;
  int64_t start = 0;
  int64_t end = 0;
  nlohmann::json details = nlohmann::json::object();
  std::vector<PlannedRow> rows;
};

// The four anomaly kinds in injection order, and the decoy shown alongside each.
inline const char* const kAnomalyKinds[] = {"burst", "multi_user_token", "ip_many_users", "big_request"};

Injection PlanAnomaly(int kind_index, TrafficGenerator& gen, int64_t start);
Injection PlanDecoy(int kind_index, TrafficGenerator& gen, int64_t start);

Injection PlanBurst(TrafficGenerator& gen, int64_t start);             // ≥ 150 requests in 60 s on one token
Injection PlanSharedKey(TrafficGenerator& gen, int64_t start);         // one token from 14 IPs in 3 minutes
Injection PlanIpManyUsers(TrafficGenerator& gen, int64_t start);       // 9 users on one IP in 3 minutes
Injection PlanBigRequest(TrafficGenerator& gen, int64_t start);        // > mean + 10σ tokens for its model
Injection PlanSteadyToken(TrafficGenerator& gen, int64_t start);       // 100/min for 5 minutes: under the limit
Injection PlanFamilyIp(TrafficGenerator& gen, int64_t start);          // 3 users behind one home IP
Injection PlanHomeAndMobile(TrafficGenerator& gen, int64_t start);     // one token alternating 2 IPs
Injection PlanWideModelRequest(TrafficGenerator& gen, int64_t start);  // large but within 3σ of a wide model

// The adaptive-threshold pair: a heavy token at a steady, legitimate 300 requests per minute for 150 minutes
// (adaptive_heavy_token: the static burst limit flags it, its own baseline does not), and a quiet token at 6 per
// minute for 10 hours that then jumps tenfold to 60 per minute for 5 minutes, under the static limit
// (adaptive_quiet_jump: the span of the jump; its baseline flags it). Both start at start.
std::vector<Injection> PlanAdaptivePair(TrafficGenerator& gen, int64_t start);

// One JSON line describing an injection (kind, subject, start, end, details), appended to file when it is set.
nlohmann::json InjectionJson(const Injection& inj);
void AppendInjection(const Injection& inj, const std::string& file);

// Plans an (anomaly, decoy) pair every interval seconds over [first, end), cycling through the kinds, and the
// adaptive pair at first when the range holds it, and schedules their rows into the history; returns the injections.
std::vector<Injection> ScheduleHistoryInjections(HistoryGenerator& history, int64_t first, int64_t end,
                                                 int64_t interval);

// A token whose owner sends little normal traffic (so injected rows dominate its history); optionally one whose
// user has record_ip_log on.
size_t PickQuietToken(TrafficGenerator& gen, bool needs_ip_log);

}  // namespace sim
