// The entities collector: users, tokens, channels, QuotaPerUnit and the unit new-api displays money in.
#include "collectors/entities.h"

#include <charconv>
#include <map>

#include "observer/agg_tables.h"
#include "observer/log.h"
#include "observer/metrics.h"

namespace exporter {
namespace {

using observer::DbStatus;
using observer::metrics::AddGaugeSample;
using observer::metrics::GaugeFamily;
using observer::metrics::Name;

constexpr const char* kUserStatusSql = "SELECT status, COUNT(*) FROM users WHERE deleted_at IS NULL GROUP BY status";
constexpr const char* kTokenStatusSql = "SELECT status, COUNT(*) FROM tokens WHERE deleted_at IS NULL GROUP BY status";
// Bounded: an instance with more channels than this shows the first ones by id.
constexpr const char* kChannelsSql =
    "SELECT id, name, type, status, balance, response_time FROM channels ORDER BY id LIMIT 2000";
// Not options itself: it also holds new-api's admin secrets. schema/grants.sql's view beside it shows only
// QuotaPerUnit and the display keys (display_unit.h).
constexpr const char* kOptionsSql = "SELECT \"key\", value FROM observer_options";

std::string Text(const std::optional<std::string>& value) { return value ? *value : ""; }

double Number(const std::optional<std::string>& value) {
  if (!value || value->empty()) return 0;
  double out = 0;
  std::from_chars(value->data(), value->data() + value->size(), out);
  return out;
}

std::string StatusLabel(const std::optional<std::string>& value, const char* (*name_of)(int64_t)) {
  const auto code = static_cast<int64_t>(Number(value));
  const char* name = name_of(code);
  return name != nullptr ? name : std::to_string(code);
}

}  // namespace

const char* UserStatusName(int64_t status) {
  switch (status) {
    case 1: return "enabled";
    case 2: return "disabled";
    default: return nullptr;
  }
}

const char* TokenStatusName(int64_t status) {
  switch (status) {
    case 1: return "enabled";
    case 2: return "disabled";
    case 3: return "expired";
    case 4: return "exhausted";
    default: return nullptr;
  }
}

const char* ChannelStatusName(int64_t status) {
  switch (status) {
    case 0: return "unknown";
    case 1: return "enabled";
    case 2: return "manually_disabled";
    case 3: return "auto_disabled";
    default: return nullptr;
  }
}

EntitiesCollector::EntitiesCollector(std::chrono::milliseconds interval,
                                     std::shared_ptr<observer::metrics::SnapshotCollectable> snapshots,
                                     LiveFacts& facts)
    : interval_(interval), snapshots_(std::move(snapshots)), facts_(facts) {}

DbStatus EntitiesCollector::Refresh(observer::DbClient& db) {
  observer::QueryResult result;

  std::map<std::string, std::string> options;
  bool options_read = false;
  if (DbStatus s = db.Query(kOptionsSql, &result); observer::agg::NotReadable(s)) {
    // Grants that predate the view: the rest of the entities still count, spend with the last values.
    observer::log::Warn("cannot read observer_options; run schema/grants.sql (or grants.postgres.sql) again",
                        {{"error", s.message}});
    options["QuotaPerUnit"] = std::to_string(facts_.quota_per_unit.load());
  } else if (!s.ok) {
    return s;
  } else {
    options_read = true;
    for (const auto& row : result.rows) options[Text(row[0])] = Text(row[1]);
  }
  double quota_per_unit = options.count("QuotaPerUnit") ? Number(options["QuotaPerUnit"]) : kDefaultQuotaPerUnit;
  if (quota_per_unit <= 0) quota_per_unit = kDefaultQuotaPerUnit;
  facts_.quota_per_unit.store(quota_per_unit);
  facts_.quota_per_unit_read.store(true);
  auto qpu = GaugeFamily(Name("", "quota_per_unit"), "Quota units per USD (options.QuotaPerUnit, default 500000).");
  AddGaugeSample(qpu, {}, quota_per_unit);
  if (options_read) facts_.set_display(DisplayFromOptions(options, quota_per_unit));
  const DisplayUnit unit = facts_.display();
  auto currency =
      GaugeFamily(Name("", "display_currency_info"),
                  "The unit new-api displays money in (USD, CNY, CUSTOM or TOKENS) and its symbol, always 1.");
  AddGaugeSample(currency, {{"currency", unit.currency}, {"symbol", unit.symbol}}, 1);
  auto rate = GaugeFamily(Name("", "usd_exchange_rate"),
                          "Display units per USD: multiply a USD amount by it to get what new-api shows (1 for USD, "
                          "the exchange rate for CNY and CUSTOM, QuotaPerUnit for TOKENS).");
  AddGaugeSample(rate, {}, unit.per_usd);

  auto users = GaugeFamily(Name("", "users"), "Users (not deleted) by status.");
  if (DbStatus s = db.Query(kUserStatusSql, &result); !s.ok) return s;
  for (const auto& row : result.rows)
    AddGaugeSample(users, {{"status", StatusLabel(row[0], UserStatusName)}}, Number(row[1]));

  auto api_keys = GaugeFamily(Name("", "api_keys"), "API keys (new-api tokens, not deleted) by status.");
  if (DbStatus s = db.Query(kTokenStatusSql, &result); !s.ok) return s;
  for (const auto& row : result.rows)
    AddGaugeSample(api_keys, {{"status", StatusLabel(row[0], TokenStatusName)}}, Number(row[1]));

  if (DbStatus s = db.Query(kChannelsSql, &result); !s.ok) return s;
  auto channels =
      GaugeFamily(Name("", "channels"), "Channels by status and provider type (new-api's channel type number).");
  auto info = GaugeFamily(Name("", "channel_info"),
                          "Channel name, provider type and status, always 1; join on the channel label.");
  auto balance = GaugeFamily(Name("", "channel_balance_usd"), "Channel balance in USD as new-api last fetched it.");
  auto response = GaugeFamily(Name("", "channel_response_seconds"), "Response time of the channel's last test.");
  std::map<std::pair<std::string, std::string>, double> counts;
  for (const auto& row : result.rows) {
    const std::string id = Text(row[0]);
    const std::string type = std::to_string(static_cast<int64_t>(Number(row[2])));
    const std::string status = StatusLabel(row[3], ChannelStatusName);
    counts[{status, type}] += 1;
    AddGaugeSample(info, {{"channel", id}, {"name", Text(row[1])}, {"channel_type", type}, {"status", status}}, 1);
    if (row[4]) AddGaugeSample(balance, {{"channel", id}}, Number(row[4]));
    if (row[5]) AddGaugeSample(response, {{"channel", id}}, Number(row[5]) / 1000.0);
  }
  for (const auto& [key, count] : counts)
    AddGaugeSample(channels, {{"status", key.first}, {"channel_type", key.second}}, count);

  snapshots_->Replace("entities",
                      {std::move(qpu), std::move(currency), std::move(rate), std::move(users), std::move(api_keys),
                       std::move(channels), std::move(info), std::move(balance), std::move(response)});
  return DbStatus::Ok();
}

}  // namespace exporter
