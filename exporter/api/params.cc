// Query parameter parsing and normalization for the JSON API.
#include "api/params.h"

#include "api/usage_sql.h"
#include "observer/http_server.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace exporter::api {
namespace {

using observer::rules::Rule;

constexpr int64_t kMaxMs = kTimeZoneHorizon * 1000;

std::string Str(int64_t v) { return std::to_string(v); }

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): all that new-api's text columns can
// hold on either engine, and all that PostgreSQL accepts in a literal.
bool ValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u; };
    const unsigned c = byte(0);
    const size_t length = c < 0x80                 ? 1
                          : c >= 0xC2 && c <= 0xDF ? 2
                          : c >= 0xE0 && c <= 0xEF ? 3
                          : c >= 0xF0 && c <= 0xF4 ? 4
                                                   : 0;
    if (length == 0) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((byte(k) & 0xC0) != 0x80) return false;
    }
    const unsigned second = byte(1);
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) || (c == 0xF0 && second < 0x90) ||
        (c == 0xF4 && second > 0x8F)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string Duration(int64_t seconds) {
  return seconds % 86400 == 0 ? Str(seconds / 86400) + " days" : Str(seconds / 3600) + " hours";
}

// Reads the query string: each name at most once and only the names an endpoint knows; the first problem found is
// kept and every later read becomes a no-op.
class Reader {
 public:
  Reader(const QueryParams& q, std::set<std::string> known) : q_(q), known_(std::move(known)) {
    for (const auto& [name, value] : q_) {
      if (known_.count(name) == 0) {
        Fail(name, "unknown parameter");
        return;
      }
      if (q_.count(name) > 1) {
        Fail(name, "given more than once");
        return;
      }
    }
  }

  std::optional<std::string> Text(const std::string& name) const {
    auto it = q_.find(name);
    if (it == q_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<int64_t> Int(const std::string& name, int64_t min, int64_t max) {
    std::optional<std::string> text = Text(name);
    if (!text || error_) return std::nullopt;
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
      Fail(name, "expected an integer");
      return std::nullopt;
    }
    if (value < min || value > max) {
      Fail(name, "must be between " + Str(min) + " and " + Str(max));
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> Double(const std::string& name, double min, double max) {
    std::optional<std::string> text = Text(name);
    if (!text || error_) return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
      Fail(name, "expected a number");
      return std::nullopt;
    }
    if (value < min || value > max) {
      Fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    return value;
  }

  // One of `choices`, or `fallback` when absent ("" = required).
  std::string Choice(const std::string& name, const std::vector<std::string>& choices, const std::string& fallback) {
    std::optional<std::string> text = Text(name);
    if (error_) return fallback;
    if (!text) {
      if (fallback.empty()) Fail(name, "is required");
      return fallback;
    }
    if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return *text;
    std::string list;
    for (const std::string& c : choices) list += (list.empty() ? "" : "|") + c;
    Fail(name, "expected one of " + list);
    return fallback;
  }

  // A short printable UTF-8 value (names, IPs); anything else can name nothing in the database.
  std::optional<std::string> Name(const std::string& name, size_t max_size) {
    std::optional<std::string> text = Text(name);
    if (!text || error_) return std::nullopt;
    const bool printable = std::all_of(text->begin(), text->end(),
                                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
    if (text->size() > max_size || !printable || !ValidUtf8(*text)) {
      Fail(name, "expected at most " + Str(static_cast<int64_t>(max_size)) + " bytes of printable UTF-8");
      return std::nullopt;
    }
    return text;
  }

  // start_ms and end_ms (required): start < end, both within [0, 2100).
  std::optional<Range> RangeMs() {
    if (!Text("start_ms") && !error_) Fail("start_ms", "is required");
    if (!Text("end_ms") && !error_) Fail("end_ms", "is required");
    const std::optional<int64_t> start = Int("start_ms", 0, kMaxMs), end = Int("end_ms", 0, kMaxMs);
    if (error_) return std::nullopt;
    if (*start >= *end) {
      Fail("end_ms", "must be after start_ms");
      return std::nullopt;
    }
    // Whole seconds covering [start_ms, end_ms).
    return Range{*start / 1000, (*end + 999) / 1000};
  }

  // [start, end) aligned outwards to whole minutes, at most max_range long.
  std::optional<Range> MinuteRange(int64_t max_range) {
    std::optional<Range> r = RangeMs();
    if (!r) return std::nullopt;
    r->start -= r->start % 60;
    r->end += (60 - r->end % 60) % 60;
    if (r->end - r->start > max_range) {
      Fail("end_ms", "the range is longer than " + Duration(max_range));
      return std::nullopt;
    }
    return r;
  }

  std::shared_ptr<const TimeZone> Zone(const ZoneLookup& zones) {
    if (error_) return nullptr;
    std::string name = Text("tz").value_or("");
    // An unencoded '+' in a query string arrives as a space.
    if (!name.empty() && name[0] == ' ') name[0] = '+';
    std::string why;
    std::shared_ptr<const TimeZone> zone = zones(name, &why);
    if (!zone) Fail("tz", why);
    return zone;
  }

  Filters ReadFilters() {
    Filters f;
    f.model = Name("model", 191);
    f.channel = Int("channel", 0, INT64_MAX);
    f.group = Name("group", 191);
    f.user = Int("user", 0, INT64_MAX);
    f.token = Int("token", 0, INT64_MAX);
    return f;
  }

  void Fail(const std::string& name, const std::string& message) {
    if (!error_) error_ = ParamError{name, name + ": " + message};
  }
  const std::optional<ParamError>& error() const { return error_; }

 private:
  const QueryParams& q_;
  std::set<std::string> known_;
  std::optional<ParamError> error_;
};

const std::vector<std::string> kMetricNames = {"reqs", "tokens", "quota", "errors"};

Metric MetricFrom(const std::string& name) {
  if (name == "tokens") return Metric::kTokens;
  if (name == "quota" || name == "quota_sum") return Metric::kQuota;
  if (name == "errors") return Metric::kErrors;
  return Metric::kReqs;
}

// One "&name=value" of a cache key, the value percent-encoded (all but RFC 3986's unreserved bytes), so no value can
// pass for a separator or for another parameter: `model=a&group=b` and `model=a%26group%3Db` are two keys.
std::string KeyPart(const char* name, const std::string& value) {
  return std::string("&") + name + "=" + observer::UrlEncode(value);
}

std::string KeyPart(const char* name, int64_t value) { return KeyPart(name, Str(value)); }

// The shortest text that reads back as the same double: two different thresholds never share a key.
std::string KeyPart(const char* name, double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return KeyPart(name, std::string(text, ec == std::errc() ? end : text));
}

std::string RangeKey(const Range& r) { return KeyPart("start", r.start).substr(1) + KeyPart("end", r.end); }

std::optional<ParamError> ParseAnomalyCommon(Reader& r, AnomalyParams* out) {
  const std::string rule = r.Choice("rule", {"burst", "multi_user_token", "ip_many_users", "big_request"}, "");
  for (Rule candidate : observer::rules::kAllRules) {
    if (rule == observer::rules::RuleName(candidate)) out->rule = candidate;
  }
  std::optional<Range> range = r.MinuteRange(kMaxAnomalyRange);
  out->overrides.window_sec = r.Int("window_sec", 1, 86400);
  out->overrides.threshold = r.Int("threshold", 2, 10000000);
  if (std::optional<int64_t> users = r.Int("users_threshold", 2, 1000000)) {
    if (out->overrides.threshold) r.Fail("users_threshold", "give threshold or users_threshold, not both");
    out->overrides.threshold = users;
  }
  out->overrides.sigma = r.Double("sigma", 0.5, 100);
  if (r.error()) return r.error();
  out->range = *range;
  observer::rules::Thresholds check;
  if (std::string error = out->overrides.ApplyTo(out->rule, &check); !error.empty()) {
    const std::string param = error.substr(0, error.find(':'));
    return ParamError{param, error};
  }
  return std::nullopt;
}

}  // namespace

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kUser: return "user";
    case Dimension::kToken: return "token";
    case Dimension::kModel: return "model";
    case Dimension::kChannel: return "channel";
  }
  return "user";
}

const char* MetricName(Metric m) {
  switch (m) {
    case Metric::kReqs: return "reqs";
    case Metric::kTokens: return "tokens";
    case Metric::kQuota: return "quota";
    case Metric::kErrors: return "errors";
  }
  return "reqs";
}

std::string Filters::Key() const {
  std::string key;
  if (model) key += KeyPart("model", *model);
  if (channel) key += KeyPart("channel", *channel);
  if (group) key += KeyPart("group", *group);
  if (user) key += KeyPart("user", *user);
  if (token) key += KeyPart("token", *token);
  return key;
}

std::string SeriesParams::Key() const {
  return RangeKey(range) + KeyPart("slot", slot) + KeyPart("tz", zone->name()) + filters.Key();
}

std::string TopParams::Key() const {
  return RangeKey(range) + KeyPart("by", DimensionName(by)) + KeyPart("metric", MetricName(metric)) +
         KeyPart("limit", int64_t{limit}) + filters.Key();
}

std::string ActiveParams::Key() const { return RangeKey(range) + filters.Key(); }

std::string HeatmapParams::Key() const {
  return RangeKey(range) + KeyPart("metric", MetricName(metric)) + KeyPart("tz", zone->name()) + filters.Key();
}

std::string RuleOverrides::Key() const {
  std::string key;
  if (window_sec) key += KeyPart("window_sec", *window_sec);
  if (threshold) key += KeyPart("threshold", *threshold);
  if (sigma) key += KeyPart("sigma", *sigma);
  return key;
}

std::string RuleOverrides::ApplyTo(Rule rule, observer::rules::Thresholds* t) const {
  const char* name = observer::rules::RuleName(rule);
  if (sigma && rule != Rule::kBigRequest) return std::string("sigma: does not apply to rule ") + name;
  if ((window_sec || threshold) && rule == Rule::kBigRequest) {
    return std::string(window_sec ? "window_sec" : "threshold") + ": does not apply to rule " + name;
  }
  switch (rule) {
    case Rule::kBurst:
      if (window_sec) t->burst_window_sec = *window_sec;
      if (threshold) t->burst_limit = *threshold;
      break;
    case Rule::kMultiUserToken:
      if (window_sec) t->token_clients_window_sec = *window_sec;
      if (threshold) t->token_clients_threshold = *threshold;
      break;
    case Rule::kIpManyUsers:
      if (window_sec) t->ip_users_window_sec = *window_sec;
      if (threshold) t->ip_users_threshold = *threshold;
      break;
    case Rule::kBigRequest:
      if (sigma) t->big_request_sigma = *sigma;
      break;
  }
  if (std::string error = t->Validate(); !error.empty()) return (window_sec ? "window_sec: " : "threshold: ") + error;
  return "";
}

std::string AnomalyParams::Key() const {
  return RangeKey(range) + KeyPart("rule", observer::rules::RuleName(rule)) + overrides.Key() +
         (subject_id.empty() ? "" : KeyPart("subject_id", subject_id));
}

std::string LogsParams::Key() const {
  static const char* kNames[] = {"user_id", "token_id", "ip"};
  return RangeKey(range) + KeyPart(kNames[static_cast<int>(subject)], subject_value) + KeyPart("limit", int64_t{limit});
}

std::vector<int64_t> BucketBoundaries(const TimeZone& zone, int64_t slot, int64_t start, int64_t end,
                                      int64_t max_buckets) {
  std::vector<int64_t> boundaries = {start};
  for (int64_t b = zone.NextBoundary(start, slot); b < end; b = zone.NextBoundary(b, slot)) {
    if (static_cast<int64_t>(boundaries.size()) >= max_buckets) return {};
    boundaries.push_back(b);
  }
  boundaries.push_back(end);
  return boundaries;
}

std::optional<ParamError> ParseSeries(const QueryParams& q, const ZoneLookup& zones, SeriesParams* out) {
  Reader r(q, {"start_ms", "end_ms", "slot_sec", "tz", "model", "channel", "group", "user", "token"});
  std::optional<Range> range = r.RangeMs();
  std::vector<std::string> slots;
  for (int64_t s : kSlotSizes) slots.push_back(Str(s));
  out->slot = std::stoll(r.Choice("slot_sec", slots, "60"));
  out->zone = r.Zone(zones);
  out->filters = r.ReadFilters();
  if (r.error()) return r.error();
  // Outwards to whole buckets of local time, so "the last 24 h" asked twice a few seconds apart is the same query.
  out->range = {out->zone->BucketStart(range->start, out->slot), out->zone->NextBoundary(range->end - 1, out->slot)};
  out->boundaries = BucketBoundaries(*out->zone, out->slot, out->range.start, out->range.end, kMaxBuckets);
  if (out->boundaries.empty()) {
    return ParamError{"end_ms", "end_ms: the range holds more than " + Str(kMaxBuckets) + " buckets of slot_sec " +
                                    Str(out->slot) + " (at most " + Duration(kMaxBuckets * out->slot) + ")"};
  }
  return std::nullopt;
}

std::optional<ParamError> ParseTop(const QueryParams& q, TopParams* out) {
  Reader r(q, {"start_ms", "end_ms", "by", "metric", "limit", "model", "channel", "group", "user", "token"});
  std::optional<Range> range = r.MinuteRange(kMaxTopRange);
  const std::string by = r.Choice("by", {"user", "token", "model", "channel"}, "user");
  out->by = by == "token"     ? Dimension::kToken
            : by == "model"   ? Dimension::kModel
            : by == "channel" ? Dimension::kChannel
                              : Dimension::kUser;
  out->metric = MetricFrom(r.Choice("metric", {"tokens", "reqs", "quota_sum", "errors"}, "tokens"));
  out->limit = static_cast<int>(r.Int("limit", 1, kMaxLimit).value_or(50));
  out->filters = r.ReadFilters();
  if (r.error()) return r.error();
  out->range = *range;
  return std::nullopt;
}

std::optional<ParamError> ParseActive(const QueryParams& q, ActiveParams* out) {
  Reader r(q, {"start_ms", "end_ms", "model", "channel", "group", "user", "token"});
  std::optional<Range> range = r.MinuteRange(kMaxTopRange);
  out->filters = r.ReadFilters();
  if (r.error()) return r.error();
  out->range = *range;
  return std::nullopt;
}

std::optional<ParamError> ParseHeatmap(const QueryParams& q, const ZoneLookup& zones, HeatmapParams* out) {
  Reader r(q, {"start_ms", "end_ms", "metric", "tz", "model", "channel", "group", "user", "token"});
  std::optional<Range> range = r.RangeMs();
  out->metric = MetricFrom(r.Choice("metric", kMetricNames, "reqs"));
  out->zone = r.Zone(zones);
  out->filters = r.ReadFilters();
  if (r.error()) return r.error();
  out->range = {out->zone->BucketStart(range->start, 3600), out->zone->NextBoundary(range->end - 1, 3600)};
  if (out->range.end - out->range.start > kMaxHeatmapRange + 7200) {
    return ParamError{"end_ms", "end_ms: the range is longer than " + Duration(kMaxHeatmapRange)};
  }
  out->boundaries = BucketBoundaries(*out->zone, 3600, out->range.start, out->range.end, kMaxHeatmapRange / 3600 + 4);
  return std::nullopt;
}

std::optional<ParamError> ParseAnomalies(const QueryParams& q, AnomalyParams* out) {
  Reader r(q, {"start_ms", "end_ms", "rule", "window_sec", "threshold", "users_threshold", "sigma"});
  return ParseAnomalyCommon(r, out);
}

std::optional<ParamError> ParseAnomalyDetail(const QueryParams& q, AnomalyParams* out) {
  Reader r(q, {"start_ms", "end_ms", "rule", "window_sec", "threshold", "users_threshold", "sigma", "subject_id"});
  const std::optional<std::string> subject = r.Name("subject_id", 64);
  if (!subject && !r.error()) r.Fail("subject_id", "is required");
  if (std::optional<ParamError> error = ParseAnomalyCommon(r, out)) return error;
  out->subject_id = *subject;
  return std::nullopt;
}

std::optional<ParamError> ParseLogs(const QueryParams& q, LogsParams* out) {
  Reader r(q, {"start_ms", "end_ms", "user_id", "token_id", "ip", "limit"});
  std::optional<Range> range = r.MinuteRange(kMaxLogsRange);
  const std::optional<int64_t> user = r.Int("user_id", 0, INT64_MAX), token = r.Int("token_id", 0, INT64_MAX);
  const std::optional<std::string> ip = r.Name("ip", 64);
  out->limit = static_cast<int>(r.Int("limit", 1, kMaxLimit).value_or(100));
  if (r.error()) return r.error();
  if (int(user.has_value()) + int(token.has_value()) + int(ip.has_value()) != 1) {
    return ParamError{"user_id", "user_id: give exactly one of user_id, token_id or ip"};
  }
  if (ip && !LooksLikeIp(*ip)) return ParamError{"ip", "ip: expected an IPv4 or IPv6 address"};
  out->range = *range;
  out->subject = user ? LogSubject::kUser : token ? LogSubject::kToken : LogSubject::kIp;
  out->subject_value = user ? Str(*user) : token ? Str(*token) : *ip;
  return std::nullopt;
}

}  // namespace exporter::api
