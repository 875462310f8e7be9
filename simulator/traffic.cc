// Generates new-api log rows: event mix, per-model sizes and latency, quota, `other` JSON, IP rules, history
// timestamps with id gaps and late commits, running totals, and the TSV / INSERT encodings.
#include "traffic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

#include "text_format.h"

namespace sim {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kShanghaiOffset = 8 * kHour;

// Relative load per Asia/Shanghai hour: busy 09:00–24:00, a lunch dip, quiet 02:00–07:00.
constexpr std::array<double, 24> kHourWeights = {0.55, 0.30, 0.15, 0.08, 0.06, 0.06, 0.10, 0.25,
                                                 0.50, 0.85, 1.00, 1.00, 0.80, 0.90, 1.00, 1.00,
                                                 0.95, 0.90, 0.85, 0.90, 1.00, 1.05, 1.00, 0.80};
constexpr double kWeekendFactor = 0.6;
constexpr double kOutOfOrderShare = 0.01;  // rows committed a few seconds after a higher id
constexpr double kIdGapShare = 0.004;      // rolled-back inserts leave holes in AUTO_INCREMENT

struct UpstreamError {
  int status;
  const char* message;
  const char* error_code;
};
constexpr UpstreamError kErrors[] = {
    {502, "bad gateway", "bad_response_status_code"},
    {503, "the server is overloaded or not ready yet", "bad_response_status_code"},
    {429, "rate limit reached for requests", "rate_limit_exceeded"},
    {500, "internal server error", "bad_response_status_code"},
    {504, "upstream request timeout", "do_request_failed"},
};
const char* const kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
};
const char* const kLoginMethods[] = {"password", "password", "password", "password",
                                     "github",   "oidc",     "passkey",  "wechat"};
const char* const kPaymentMethods[] = {"alipay", "wxpay", "stripe"};
const int kTopupAmounts[] = {5, 10, 10, 20, 20, 50, 100};

template <typename T, size_t N>
const T& PickFrom(Rng& rng, const T (&items)[N]) {
  return items[rng.Next() % N];
}

std::string UseChannel(const std::vector<int64_t>& ids) {
  std::string out = R"({"use_channel":[)";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ",\"" : "\"") + std::to_string(ids[i]) + "\"";
  return out + "]}";
}

std::string Money(double usd) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", usd);
  return buffer;
}

}  // namespace

const char* const kLogColumns =
    "id, user_id, created_at, type, content, username, token_name, model_name, quota, prompt_tokens, "
    "completion_tokens, use_time, is_stream, channel_id, channel_name, token_id, \"group\", ip, request_id, "
    "upstream_request_id, other";

const char* const kQuotaDataColumns =
    "user_id, username, model_name, created_at, use_group, token_id, channel_id, node_name, token_used, count, quota";

void AppendLogTsv(const LogRow& r, std::string* out) {
  auto tab = [out] { out->push_back('\t'); };
  AppendTsvInt(out, r.id), tab();
  AppendTsvInt(out, r.user_id), tab();
  AppendTsvInt(out, r.created_at), tab();
  AppendTsvInt(out, r.type), tab();
  AppendTsvField(out, r.content), tab();
  AppendTsvField(out, r.username), tab();
  AppendTsvField(out, r.token_name), tab();
  AppendTsvField(out, r.model_name), tab();
  AppendTsvInt(out, r.quota), tab();
  AppendTsvInt(out, r.prompt_tokens), tab();
  AppendTsvInt(out, r.completion_tokens), tab();
  AppendTsvInt(out, r.use_time), tab();
  AppendTsvInt(out, r.is_stream ? 1 : 0), tab();
  AppendTsvInt(out, r.channel_id), tab();
  AppendTsvField(out, std::nullopt), tab();  // channel_name: never written by new-api
  AppendTsvInt(out, r.token_id), tab();
  AppendTsvField(out, r.group), tab();
  AppendTsvField(out, r.ip), tab();
  AppendTsvField(out, r.request_id), tab();
  AppendTsvField(out, r.upstream_request_id), tab();
  AppendTsvField(out, r.other);
  out->push_back('\n');
}

std::string LogInsertSql(const observer::Dialect& dialect, const LogRow& r) {
  auto i = [](int64_t v) { return std::to_string(v); };
  auto q = [&](std::string_view v) { return SqlQuote(dialect, v); };
  return "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota, "
         "prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, request_id, "
         "upstream_request_id, other) VALUES (" +
         i(r.user_id) + "," + i(r.created_at) + "," + i(r.type) + "," + q(r.content) + "," + q(r.username) + "," +
         q(r.token_name) + "," + q(r.model_name) + "," + i(r.quota) + "," + i(r.prompt_tokens) + "," +
         i(r.completion_tokens) + "," + i(r.use_time) + "," + dialect.Bool(r.is_stream) + "," + i(r.channel_id) + "," +
         i(r.token_id) + "," + q(r.group) + "," + q(r.ip) + "," + q(r.request_id) + "," + q(r.upstream_request_id) +
         "," + q(r.other) + ")";
}

int LocalHour(int64_t unix_seconds) { return static_cast<int>(((unix_seconds + kShanghaiOffset) / kHour) % 24); }

double DiurnalWeight(int64_t unix_seconds) {
  const int64_t local_day = (unix_seconds + kShanghaiOffset) / 86400;
  const int weekday = static_cast<int>((local_day + 4) % 7);  // 1970-01-01 was a Thursday; 0 = Sunday
  const double day_factor = (weekday == 0 || weekday == 6) ? kWeekendFactor : 1.0;
  return kHourWeights[static_cast<size_t>(LocalHour(unix_seconds))] * day_factor;
}

double MaxUserShareFor(double peak_rows_per_minute) {
  constexpr double kBusiestUserPerMinute = 40;  // well under the burst rule's 120/min even with Poisson spikes
  if (peak_rows_per_minute <= kBusiestUserPerMinute) return 1.0;
  return kBusiestUserPerMinute / peak_rows_per_minute;
}

// ---------------------------------------------------------------------------------------------------------------

TrafficGenerator::TrafficGenerator(const Catalog& catalog, const Population& population, uint64_t seed,
                                   double max_user_share)
    : catalog_(catalog), population_(population), rng_(seed) {
  std::vector<double> user_weights;
  for (const User& u : population.users) {
    double token_weight = 0;
    for (size_t t : u.tokens) token_weight += population.tokens[t].weight;
    user_weights.push_back(token_weight > 0 ? u.traffic_weight : 0.0);
    if (u.status == 1) enabled_users_.push_back(static_cast<size_t>(u.id - 1));
  }
  user_picker_ = WeightedPicker(CapShares(user_weights, max_user_share));
  std::vector<double> popularity;
  for (const ModelSpec& m : catalog.models) popularity.push_back(m.popularity);
  model_picker_ = WeightedPicker(popularity);
  payment_ips_ = {"110.75.143.21", "110.75.143.58", "101.226.103.7", "54.187.174.169"};
  admin_ip_ = "183.62.14.90";
}

size_t TrafficGenerator::PickToken() {
  const User& user = population_.users[user_picker_.Pick(rng_)];
  double total = 0;
  for (size_t t : user.tokens) total += population_.tokens[t].weight;
  double target = rng_.Uniform01() * total;
  for (size_t t : user.tokens) {
    target -= population_.tokens[t].weight;
    if (target < 0) return t;
  }
  return user.tokens.front();
}

size_t TrafficGenerator::PickUser() { return enabled_users_[rng_.Next() % enabled_users_.size()]; }

std::string TrafficGenerator::UserIp(const User& user) {
  if (!user.mobile_ip.empty() && rng_.Chance(0.2)) return user.mobile_ip;
  return user.home_ip;
}

int TrafficGenerator::PickModel(const User& user) {
  const int group = GroupIndex(catalog_, user.group);
  for (int attempt = 0; attempt < 20; ++attempt) {
    const size_t m = model_picker_.Pick(rng_);
    if (!population_.routes[m][static_cast<size_t>(group)].channels.empty()) return static_cast<int>(m);
  }
  return 0;
}

int64_t TrafficGenerator::SampleTokens(double mu, double sigma) {
  const double z = std::clamp(rng_.Normal(), -kSizeClampSigma, kSizeClampSigma);
  return std::max<int64_t>(1, std::llround(std::exp(mu + sigma * z)));
}

void TrafficGenerator::FillUserAndToken(LogRow* row, const User& user, const Token* token) {
  row->user_id = user.id;
  row->username = user.username;
  row->user_index = static_cast<size_t>(user.id - 1);
  if (token != nullptr) {
    row->token_id = token->id;
    row->token_name = token->name;
    row->token_index = token->id - 1;
  }
}

LogRow TrafficGenerator::Next(int64_t created_at) {
  double r = rng_.Uniform01();
  if ((r -= mix_.error) < 0) return Error(created_at);
  if ((r -= mix_.login) < 0) return Login(created_at, PickUser());
  if ((r -= mix_.topup) < 0) return Topup(created_at);
  if ((r -= mix_.refund) < 0) return Refund(created_at);
  if ((r -= mix_.manage) < 0) return Manage(created_at);
  if ((r -= mix_.system) < 0) return System(created_at);
  return Consume(created_at, PickToken());
}

LogRow TrafficGenerator::Consume(int64_t created_at, size_t token_index, int model_index,
                                 const std::string& ip_override, int64_t prompt_tokens, int64_t completion_tokens) {
  const Token& token = population_.tokens[token_index];
  const User& user = population_.users[token.user_index];
  const int m = model_index >= 0 ? model_index : PickModel(user);
  const ModelSpec& model = catalog_.models[static_cast<size_t>(m)];
  const size_t group_index = static_cast<size_t>(std::max(0, GroupIndex(catalog_, user.group)));
  const Group& group = catalog_.groups[group_index];

  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogConsume;
  FillUserAndToken(&row, user, &token);
  row.model_name = model.name;
  row.group = group.name;
  const Population::Route& route = population_.routes[static_cast<size_t>(m)][group_index];
  std::vector<int64_t> tried;
  if (!route.channels.empty()) {
    const size_t channel = route.channels[route.picker.Pick(rng_)];
    row.channel_index = static_cast<int64_t>(channel);
    row.channel_id = population_.channels[channel].id;
    // Now and then the flaky channel failed first and the retry succeeded elsewhere.
    const size_t flaky = population_.flaky_channel;
    if (channel != flaky && rng_.Chance(0.01) &&
        std::find(route.channels.begin(), route.channels.end(), flaky) != route.channels.end()) {
      tried.push_back(population_.channels[flaky].id);
    }
    tried.push_back(row.channel_id);
  }

  row.prompt_tokens = prompt_tokens > 0 ? prompt_tokens : SampleTokens(model.prompt_mu, model.prompt_sigma);
  row.completion_tokens = completion_tokens >= 0   ? completion_tokens
                          : model.has_completion() ? SampleTokens(model.completion_mu, model.completion_sigma)
                                                   : 0;
  if (model.cache_ratio > 0 && rng_.Chance(0.3)) {
    row.cache_tokens = static_cast<int64_t>(static_cast<double>(row.prompt_tokens) * (0.2 + 0.7 * rng_.Uniform01()));
  }
  row.is_stream = rng_.Chance(model.stream_share);
  const double first_ms = model.frt_ms > 0 ? rng_.LogNormal(std::log(model.frt_ms), 0.5) : 0;
  double total_ms;
  if (model.fixed_price()) {
    total_ms = rng_.LogNormal(std::log(model.request_path == "/v1/video/generations" ? 90000.0 : 12000.0), 0.4);
  } else {
    total_ms = first_ms +
               static_cast<double>(row.completion_tokens) / model.tokens_per_second * 1000.0 * rng_.LogNormal(0, 0.3);
    if (!model.has_completion()) total_ms = rng_.LogNormal(std::log(300.0), 0.5);
  }
  row.use_time = static_cast<int64_t>(total_ms / 1000.0);
  row.quota = ComputeQuota(model, group.ratio, row.prompt_tokens, row.completion_tokens, row.cache_tokens);

  // `other` keys in the order Go's json.Marshal writes a map: sorted.
  std::string other = "{\"admin_info\":" + UseChannel(tried);
  other += ",\"cache_ratio\":" + FormatNumber(model.cache_ratio > 0 ? model.cache_ratio : 1);
  other += ",\"cache_tokens\":" + std::to_string(row.cache_tokens);
  other += ",\"completion_ratio\":" + FormatNumber(model.completion_ratio);
  if (row.is_stream) other += ",\"frt\":" + std::to_string(std::llround(first_ms));
  other += ",\"group_ratio\":" + FormatNumber(group.ratio);
  other += ",\"model_price\":" + FormatNumber(model.fixed_price() ? model.model_price : -1);
  other += ",\"model_ratio\":" + FormatNumber(model.model_ratio);
  other += ",\"request_path\":" + JsonString(model.request_path) + "}";
  row.other = std::move(other);

  if (user.record_ip_log) row.ip = ip_override.empty() ? UserIp(user) : ip_override;
  row.request_id = rng_.Hex(32);
  if (model.vendor_id == 1 && !model.fixed_price()) row.upstream_request_id = "chatcmpl-" + rng_.Alnum(29);
  if (model.vendor_id == 2) row.upstream_request_id = "msg_" + rng_.Alnum(24);
  if (rng_.Chance(0.003)) row.content = "upstream returned no usage, counted locally";
  return row;
}

LogRow TrafficGenerator::Error(int64_t created_at) {
  // Most errors come from the flaky channel; it only serves its own groups and models.
  const Channel& flaky = population_.channels[population_.flaky_channel];
  size_t token_index = PickToken();
  int model = -1;
  int64_t channel_index = -1;
  if (rng_.Chance(0.7)) {
    for (int attempt = 0; attempt < 20 && channel_index < 0; ++attempt) {
      const User& user = population_.users[population_.tokens[token_index].user_index];
      if (std::find(flaky.spec.groups.begin(), flaky.spec.groups.end(), user.group) != flaky.spec.groups.end()) {
        model = catalog_.ModelIndex(flaky.spec.models[rng_.Next() % flaky.spec.models.size()]);
        channel_index = static_cast<int64_t>(population_.flaky_channel);
      } else {
        token_index = PickToken();
      }
    }
  }
  const Token& token = population_.tokens[token_index];
  const User& user = population_.users[token.user_index];
  if (model < 0) model = PickModel(user);
  const size_t group_index = static_cast<size_t>(std::max(0, GroupIndex(catalog_, user.group)));
  if (channel_index < 0) {
    const Population::Route& route = population_.routes[static_cast<size_t>(model)][group_index];
    channel_index = route.channels.empty() ? 0 : static_cast<int64_t>(route.channels[route.picker.Pick(rng_)]);
  }
  const Channel& channel = population_.channels[static_cast<size_t>(channel_index)];
  const ModelSpec& spec = catalog_.models[static_cast<size_t>(model)];
  const UpstreamError& error = PickFrom(rng_, kErrors);

  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogError;
  FillUserAndToken(&row, user, &token);
  row.model_name = spec.name;
  row.group = user.group;
  row.channel_id = channel.id;
  row.channel_index = channel_index;
  row.is_stream = rng_.Chance(spec.stream_share);
  row.use_time = error.status == 504 ? rng_.UniformInt(30, 120) : rng_.UniformInt(0, 8);
  row.content = "status_code=" + std::to_string(error.status) + ", upstream error: " + error.message;
  if (error.status == 502 && rng_.Chance(0.3)) {
    // Some proxies return an HTML page; new-api logs it verbatim (tabs and newlines included).
    row.content += ": <html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\n\t<center>nginx</center>\n</body>";
  }
  row.other = "{\"admin_info\":" + UseChannel({channel.id}) + ",\"channel_id\":" + std::to_string(channel.id) +
              ",\"channel_name\":" + JsonString(channel.spec.name) +
              ",\"channel_type\":" + std::to_string(channel.spec.type) +
              ",\"error_code\":" + JsonString(error.error_code) +
              ",\"error_type\":\"upstream_error\",\"request_path\":" + JsonString(spec.request_path) +
              ",\"status_code\":" + std::to_string(error.status) + "}";
  if (user.record_ip_log) row.ip = UserIp(user);
  row.request_id = rng_.Hex(32);
  return row;
}

LogRow TrafficGenerator::Login(int64_t created_at, size_t user_index, const std::string& ip_override) {
  const User& user = population_.users[user_index];
  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogLogin;
  FillUserAndToken(&row, user, nullptr);
  const char* method = PickFrom(rng_, kLoginMethods);
  row.content = std::string("user logged in via ") + method;
  row.ip = ip_override.empty() ? UserIp(user) : ip_override;  // login logs always carry the IP
  row.other =
      "{\"login_method\":" + JsonString(method) + ",\"user_agent\":" + JsonString(PickFrom(rng_, kUserAgents)) + "}";
  row.request_id = rng_.Hex(32);
  return row;
}

LogRow TrafficGenerator::Topup(int64_t created_at) {
  const User& user = population_.users[PickUser()];
  const int amount = PickFrom(rng_, kTopupAmounts);
  const char* method = PickFrom(rng_, kPaymentMethods);
  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogTopup;
  FillUserAndToken(&row, user, nullptr);
  row.quota = static_cast<int64_t>(amount * kQuotaPerUnit);
  row.content = "使用在线充值成功，充值金额: $" + Money(amount) + "，支付方式：" + method;
  row.ip = payment_ips_[rng_.Next() % payment_ips_.size()];  // the payment provider's callback
  row.other = "{\"admin_info\":{\"payment_method\":" + JsonString(method) + ",\"trade_no\":\"" + "USR" +
              std::to_string(user.id) + "NO" + rng_.Alnum(16) + "\"}}";
  row.request_id = rng_.Hex(32);
  return row;
}

LogRow TrafficGenerator::Refund(int64_t created_at) {
  const size_t token_index = PickToken();
  const Token& token = population_.tokens[token_index];
  const User& user = population_.users[token.user_index];
  const int model = catalog_.ModelIndex("veo-3");
  const ModelSpec& spec = catalog_.models[static_cast<size_t>(std::max(0, model))];
  const size_t group_index = static_cast<size_t>(std::max(0, GroupIndex(catalog_, user.group)));
  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogRefund;
  FillUserAndToken(&row, user, &token);
  row.model_name = spec.name;
  row.group = user.group;
  const Population::Route& route = population_.routes[static_cast<size_t>(std::max(0, model))][group_index];
  if (!route.channels.empty()) row.channel_id = population_.channels[route.channels.front()].id;
  row.quota = ComputeQuota(spec, catalog_.groups[group_index].ratio, 0, 0, 0);
  row.content = "async task refund";
  row.other = "{\"is_task\":true,\"pre_consumed_quota\":" + std::to_string(row.quota) +
              ",\"reason\":\"task failed: upstream content policy\",\"task_id\":\"task_" + rng_.Alnum(24) + "\"}";
  row.request_id = rng_.Hex(32);
  return row;
}

LogRow TrafficGenerator::Manage(int64_t created_at) {
  const User& root = population_.users.front();
  const User& target = population_.users[PickUser()];
  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogManage;
  FillUserAndToken(&row, root, nullptr);
  const bool quota_change = rng_.Chance(0.6);
  row.content = quota_change
                    ? "管理员将用户 " + target.username + " 的额度增加 $" + Money(10)
                    : "admin updated channel #" + std::to_string(1 + rng_.Next() % population_.channels.size());
  row.ip = admin_ip_;
  row.other = "{\"admin_info\":{\"admin_id\":1,\"admin_username\":\"root\"},\"op\":" +
              JsonString(quota_change ? "user.quota.add" : "channel.update") + "}";
  row.request_id = rng_.Hex(32);
  return row;
}

LogRow TrafficGenerator::System(int64_t created_at) {
  const User& user = population_.users[PickUser()];
  LogRow row;
  row.created_at = created_at;
  row.type = newapi::kLogSystem;
  FillUserAndToken(&row, user, nullptr);
  row.quota = static_cast<int64_t>(0.5 * kQuotaPerUnit);
  row.content = "新用户注册赠送 $0.50 额度";
  row.other = "";
  return row;
}

// ---------------------------------------------------------------------------------------------------------------

size_t UsageTotals::KeyHash::operator()(const Key& k) const {
  size_t h = 1469598103934665603ULL;
  for (int64_t v : {k.user_index, k.model_index, k.hour, k.group_index, k.token_index, k.channel_index}) {
    h = (h ^ static_cast<size_t>(v)) * 1099511628211ULL;
  }
  return h;
}

void UsageTotals::Add(const LogRow& row) {
  if (row.type == newapi::kLogLogin) {
    int64_t& last = entities.user_last_login[row.user_index];
    last = std::max(last, row.created_at);
    return;
  }
  if (row.type != newapi::kLogConsume) return;
  entities.user_used_quota[row.user_index] += row.quota;
  entities.user_request_count[row.user_index] += 1;
  if (row.token_index >= 0) {
    const size_t t = static_cast<size_t>(row.token_index);
    entities.token_used_quota[t] += row.quota;
    entities.token_accessed_time[t] = std::max(entities.token_accessed_time[t], row.created_at);
  }
  if (row.channel_index >= 0) entities.channel_used_quota[static_cast<size_t>(row.channel_index)] += row.quota;

  const Key key{static_cast<int64_t>(row.user_index),
                0,
                row.created_at - row.created_at % kHour,
                0,
                row.token_id,
                row.channel_id};
  // model and group are part of the bucket; hash their text cheaply through the key's spare fields.
  Key full = key;
  full.model_index = static_cast<int64_t>(std::hash<std::string>{}(row.model_name));
  full.group_index = static_cast<int64_t>(std::hash<std::string>{}(row.group));
  Bucket& b = buckets_[full];
  if (b.count == 0) {
    b.username = row.username;
    b.model = row.model_name;
    b.group = row.group;
    b.user_id = row.user_id;
    b.token_id = row.token_id;
    b.channel_id = row.channel_id;
  }
  b.count += 1;
  b.quota += row.quota;
  b.token_used += row.prompt_tokens + row.completion_tokens;
}

void UsageTotals::TakeQuotaDataTsv(int64_t before_hour, std::string* out) {
  std::vector<std::pair<Key, Bucket>> done;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (it->first.hour < before_hour) {
      done.emplace_back(it->first, std::move(it->second));
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Sorted so the table content (and its AUTO_INCREMENT ids) does not depend on hash-map order.
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.hour, a.second.user_id, a.second.model, a.second.group, a.second.token_id,
                    a.second.channel_id) < std::tie(b.first.hour, b.second.user_id, b.second.model, b.second.group,
                                                    b.second.token_id, b.second.channel_id);
  });
  for (const auto& [key, b] : done) {
    AppendTsvInt(out, b.user_id), out->push_back('\t');
    AppendTsvField(out, b.username), out->push_back('\t');
    AppendTsvField(out, b.model), out->push_back('\t');
    AppendTsvInt(out, key.hour), out->push_back('\t');
    AppendTsvField(out, b.group), out->push_back('\t');
    AppendTsvInt(out, b.token_id), out->push_back('\t');
    AppendTsvInt(out, b.channel_id), out->push_back('\t');
    AppendTsvField(out, ""), out->push_back('\t');
    AppendTsvInt(out, b.token_used), out->push_back('\t');
    AppendTsvInt(out, b.count), out->push_back('\t');
    AppendTsvInt(out, b.quota), out->push_back('\n');
  }
}

// ---------------------------------------------------------------------------------------------------------------

namespace {

struct HistoryPlan {
  std::vector<int64_t> starts, counts;
  double peak_per_minute = 0;
};

HistoryPlan PlanHistory(const HistoryOptions& options, Rng& rng) {
  HistoryPlan plan;
  std::vector<double> weights;
  double total = 0;
  for (int64_t t = options.start; t < options.end;) {
    const int64_t piece_end = std::min(options.end, (t / kHour + 1) * kHour);
    const double noise = 0.85 + 0.3 * rng.Uniform01();  // no two days look exactly alike
    const double w = DiurnalWeight(t) * noise * static_cast<double>(piece_end - t) / kHour;
    plan.starts.push_back(t);
    weights.push_back(w);
    total += w;
    t = piece_end;
  }
  // Cumulative rounding: the counts add up to exactly options.rows.
  double cumulative = 0;
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    cumulative += weights[i];
    const int64_t upto = total > 0 ? std::llround(static_cast<double>(options.rows) * cumulative / total) : 0;
    plan.counts.push_back(upto - assigned);
    const int64_t piece_end = i + 1 < plan.starts.size() ? plan.starts[i + 1] : options.end;
    plan.peak_per_minute =
        std::max(plan.peak_per_minute, static_cast<double>(upto - assigned) * 60.0 /
                                           static_cast<double>(std::max<int64_t>(1, piece_end - plan.starts[i])));
    assigned = upto;
  }
  return plan;
}

}  // namespace

HistoryGenerator::HistoryGenerator(const Catalog& catalog, const Population& population, const HistoryOptions& options)
    : options_(options),
      rng_(SubSeed(options.seed, 2)),
      max_user_share_([&] {
        Rng plan_rng(SubSeed(options.seed, 3));
        return MaxUserShareFor(PlanHistory(options, plan_rng).peak_per_minute);
      }()),
      traffic_(catalog, population, SubSeed(options.seed, 4), max_user_share_) {
  Rng plan_rng(SubSeed(options.seed, 3));
  HistoryPlan plan = PlanHistory(options, plan_rng);
  segment_starts_ = std::move(plan.starts);
  segment_counts_ = std::move(plan.counts);
  previous_created_at_ = options.start;
}

void HistoryGenerator::FillHour() {
  times_.clear();
  time_index_ = 0;
  while (times_.empty() && segment_ < segment_starts_.size()) {
    const int64_t start = segment_starts_[segment_];
    const int64_t end = segment_ + 1 < segment_starts_.size() ? segment_starts_[segment_ + 1] : options_.end;
    times_.resize(static_cast<size_t>(segment_counts_[segment_]));
    for (int64_t& t : times_) t = rng_.UniformInt(start, end - 1);
    std::sort(times_.begin(), times_.end());
    ++segment_;
  }
}

void HistoryGenerator::Schedule(std::vector<LogRow> rows) {
  scheduled_.insert(scheduled_.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  std::stable_sort(scheduled_.begin(), scheduled_.end(),
                   [](const LogRow& a, const LogRow& b) { return a.created_at > b.created_at; });
}

bool HistoryGenerator::Next(LogRow* row) {
  if (time_index_ >= times_.size()) FillHour();
  const bool normal_left = time_index_ < times_.size();
  if (!scheduled_.empty() && (!normal_left || scheduled_.back().created_at <= times_[time_index_])) {
    *row = std::move(scheduled_.back());
    scheduled_.pop_back();
    row->id = next_id_++;
    ++generated_;
    return true;
  }
  if (!normal_left) return false;
  int64_t t = times_[time_index_++];
  if (rng_.Chance(kOutOfOrderShare) && previous_created_at_ - 5 > options_.start) {
    t = previous_created_at_ - rng_.UniformInt(1, 5);  // committed late: a higher id with an earlier time
  }
  previous_created_at_ = t;
  if (rng_.Chance(kIdGapShare)) next_id_ += rng_.UniformInt(1, 3);
  *row = traffic_.Next(t);
  row->id = next_id_++;
  ++generated_;
  return true;
}

}  // namespace sim
