// /api/stats/anomalies (the risk rules' SQL evaluator over a range, with per-request threshold overrides) and
// /api/stats/anomalies/detail (one finding with the subject's requests, IPs, users, models and channels).
#include <algorithm>

#include "api/handlers.h"
#include "api/log_rows.h"
#include "api/usage_sql.h"
#include "observer/rules/sql_rules.h"
#include "observer/rules/window_rules_agg.h"

namespace exporter::api {
namespace {

using observer::rules::Finding;
using observer::rules::Rule;

constexpr int kDetailRows = 100;
constexpr int kBreakdownRows = 50;

int64_t WindowOf(Rule rule, const observer::rules::Thresholds& t) {
  switch (rule) {
    case Rule::kBurst: return t.burst_window_sec;
    case Rule::kMultiUserToken: return t.token_clients_window_sec;
    case Rule::kIpManyUsers: return t.ip_users_window_sec;
    case Rule::kBigRequest: return 0;
  }
  return 0;
}

nlohmann::json FindingJson(const Finding& f, int64_t window_sec) {
  return {{"rule", observer::rules::RuleName(f.rule)},
          {"subject_type", f.subject_type},
          {"subject_id", f.subject_id},
          {"subject_name", f.subject_name},
          {"score", f.peak_score},
          {"threshold", f.threshold},
          {"baseline", f.baseline >= 0 ? nlohmann::json(f.baseline) : nlohmann::json(nullptr)},
          {"windows", f.windows},
          {"window_sec", window_sec},
          {"first_window_start_ms", f.first_window_start * 1000},
          {"last_window_end_ms", (f.last_window_end + 1) * 1000}};
}

// The thresholds of this request and the findings over its range; a failure as an answer.
std::optional<Answer> Evaluate(const AnomalyParams& p, observer::DbClient& db, const ApiContext& ctx,
                               observer::rules::Thresholds* t, std::vector<Finding>* findings, std::string* source) {
  const std::shared_ptr<const RuleSet> rules = ctx.risk->current();
  *t = rules->thresholds;
  if (std::string error = p.overrides.ApplyTo(p.rule, t); !error.empty()) return Answer::Error(400, error);
  // The aggregator's baselines, read per request in adaptive mode so that the API and the exporter agree with the
  // table as it is now.
  observer::rules::Baselines baselines;
  const bool adaptive =
      (p.rule == Rule::kBurst && t->burst_adaptive) || (p.rule == Rule::kIpManyUsers && t->ip_users_adaptive);
  observer::DbStatus status;
  if (adaptive) {
    status = observer::rules::LoadBaselines(db, ctx.tables.rule_baselines(), &baselines);
    // No table yet (an older aggregator) or no grant: every subject keeps the static limit, as in the exporter.
    if (observer::agg::NotReadable(status)) status = observer::DbStatus::Ok();
  }
  if (status.ok) {
    // From the aggregator's per-hour tables for the hours they hold, else from logs: the same findings.
    status = observer::rules::EvaluateRuleFrom(db, ctx.tables, p.rule, *t, rules->allow, {p.range.start, p.range.end},
                                               baselines, findings, source);
  }
  if (!status.ok) return DbFailure(status);
  return std::nullopt;
}

// The rows a finding counted: the request, or the rule's log types of its subject.
std::string FindingRows(const observer::Dialect& d, const Finding& f) {
  if (f.rule == Rule::kBigRequest) return RequestCondition(std::stoll(f.subject_id));
  const LogSubject subject = f.rule == Rule::kIpManyUsers ? LogSubject::kIp : LogSubject::kToken;
  return SubjectCondition(d, subject, f.subject_id) + " AND " + observer::rules::RowsOf(f.rule).types.Sql();
}

}  // namespace

Answer Anomalies(const AnomalyParams& p, observer::DbClient& db, const ApiContext& ctx) {
  observer::rules::Thresholds t;
  std::vector<Finding> findings;
  std::string source;
  if (std::optional<Answer> failed = Evaluate(p, db, ctx, &t, &findings, &source)) return *failed;
  nlohmann::json out = nlohmann::json::array();
  for (const Finding& f : findings) out.push_back(FindingJson(f, WindowOf(p.rule, t)));
  return Answer::Ok(std::move(out), source);
}

Answer AnomalyDetail(const AnomalyParams& p, observer::DbClient& db, const ApiContext& ctx) {
  observer::rules::Thresholds t;
  std::vector<Finding> findings;
  std::string source;
  if (std::optional<Answer> failed = Evaluate(p, db, ctx, &t, &findings, &source)) return *failed;
  auto found =
      std::find_if(findings.begin(), findings.end(), [&p](const Finding& f) { return f.subject_id == p.subject_id; });
  if (found == findings.end()) {
    return Answer::Error(404, "subject_id: " + p.subject_id + " did not fire rule " +
                                  observer::rules::RuleName(p.rule) + " in this range");
  }
  const Range window{found->first_window_start, found->last_window_end + 1};
  const std::string rows = FindingRows(db.dialect(), *found);
  nlohmann::json out = {{"finding", FindingJson(*found, WindowOf(p.rule, t))}, {"requests", nlohmann::json::array()}};
  observer::DbStatus status =
      db.QueryEach(LogRowsSql(rows, window, kDetailRows),
                   [&out](const observer::DbRowView& row) { out["requests"].push_back(LogRowJson(row)); });
  const std::pair<const char*, Breakdown> breakdowns[] = {{"ips", Breakdown::kIps},
                                                          {"users", Breakdown::kUsers},
                                                          {"models", Breakdown::kModels},
                                                          {"channels", Breakdown::kChannels}};
  for (const auto& [name, by] : breakdowns) {
    if (!status.ok) break;
    nlohmann::json list = nlohmann::json::array();
    status =
        db.QueryEach(BreakdownSql(db.dialect(), by, rows, window, kBreakdownRows), [&](const observer::DbRowView& row) {
          nlohmann::json entry = {{"reqs", observer::DbInt(row[2])}};
          switch (by) {
            case Breakdown::kIps: entry["ip"] = observer::DbString(row[0]); break;
            case Breakdown::kUsers:
              entry["user_id"] = observer::DbInt(row[0]);
              entry["username"] = observer::DbString(row[1]);
              break;
            case Breakdown::kModels: entry["model_name"] = observer::DbString(row[0]); break;
            case Breakdown::kChannels: entry["channel_id"] = observer::DbInt(row[0]); break;
          }
          list.push_back(std::move(entry));
        });
    out[name] = std::move(list);
  }
  if (status.ok) status = AddChannelNames(*ctx.names, db, out["requests"]);
  if (status.ok) status = AddChannelNames(*ctx.names, db, out["channels"]);
  if (!status.ok) return DbFailure(status);
  // The finding, then its rows from logs.
  return Answer::Ok(std::move(out), source == "logs" ? "logs" : "hourly+logs");
}

}  // namespace exporter::api
