// Builds the seeded population (users, tokens, channels, routes) and the entity tables' INSERT statements.
#include "entities.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "text_format.h"

namespace sim {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kRowsPerInsert = 500;

const char* const kNames[] = {"alice", "bob",  "chen",  "wang",   "li",  "zhang", "liu", "yang", "huang", "zhao",
                              "wu",    "zhou", "xu",    "sun",    "ma",  "zhu",   "hu",  "guo",  "he",    "lin",
                              "luo",   "gao",  "kevin", "lucy",   "tom", "jack",  "mia", "leo",  "nina",  "oscar",
                              "sam",   "tina", "dev",   "studio", "lab", "team",  "ai",  "bot",  "cloud", "code"};
const char* const kTokenNames[] = {"default",     "chatbox",   "cursor",   "prod", "dev",
                                   "claude-code", "openwebui", "lobechat", "n8n",  "backup"};
const char* const kMailDomains[] = {"qq.com", "163.com", "gmail.com", "outlook.com", "foxmail.com"};
// First octets of large consumer ISP ranges (China Telecom/Unicom/Mobile and a few others).
const int kFirstOctets[] = {36,  39,  42,  58,  59,  60,  61,  101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118,
                            119, 120, 121, 122, 123, 124, 125, 171, 180, 182, 183, 218, 219, 220, 221, 222, 223};

template <typename T, size_t N>
const T& PickFrom(Rng& rng, const T (&items)[N]) {
  return items[rng.Next() % N];
}

std::string RandomIp(Rng& rng, std::set<std::string>* used) {
  for (;;) {
    std::string ip = std::to_string(PickFrom(rng, kFirstOctets)) + "." + std::to_string(rng.UniformInt(0, 255)) + "." +
                     std::to_string(rng.UniformInt(0, 255)) + "." + std::to_string(rng.UniformInt(1, 254));
    if (used->insert(ip).second) return ip;
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ChannelKey(Rng& rng, int type) {
  if (type == 14) return "sk-ant-api03-" + rng.Alnum(80);
  if (type == 1) return "sk-proj-" + rng.Alnum(48);
  return rng.Alnum(32);
}

// Accumulates "(...),(...)" value lists and cuts them into INSERT statements.
class InsertBatcher {
 public:
  InsertBatcher(std::vector<std::string>* out, std::string head) : out_(out), head_(std::move(head)) {}
  ~InsertBatcher() { Flush(); }
  InsertBatcher(const InsertBatcher&) = delete;
  InsertBatcher& operator=(const InsertBatcher&) = delete;
  void Add(const std::string& values) {
    current_ += (count_ == 0 ? head_ + " VALUES " : std::string(",")) + "(" + values + ")";
    if (++count_ == kRowsPerInsert) Flush();
  }
  void Flush() {
    if (count_ > 0) out_->push_back(current_);
    current_.clear();
    count_ = 0;
  }

 private:
  std::vector<std::string>* out_;
  std::string head_;
  std::string current_;
  size_t count_ = 0;
};

std::string I(int64_t v) { return std::to_string(v); }

std::string Join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.push_back(separator);
    out += item;
  }
  return out;
}

std::string EndpointsOf(const ModelSpec& m) {
  if (m.request_path == "/v1/embeddings") return R"(["embeddings"])";
  if (m.request_path == "/v1/images/generations") return R"(["image-generation"])";
  if (m.request_path == "/v1/video/generations") return R"(["openai-video"])";
  if (m.vendor_id == 2) return R"(["anthropic","openai"])";
  if (m.vendor_id == 3) return R"(["gemini","openai"])";
  return R"(["openai"])";
}

}  // namespace

int GroupIndex(const Catalog& catalog, const std::string& group) {
  for (size_t i = 0; i < catalog.groups.size(); ++i) {
    if (catalog.groups[i].name == group) return static_cast<int>(i);
  }
  return -1;
}

Population BuildPopulation(const Catalog& catalog, const PopulationOptions& options) {
  Rng rng(SubSeed(options.seed, 1));
  Population p;
  p.setup_time = options.history_start - 400 * kDay;
  std::set<std::string> used_names, used_aff, used_ips, used_keys;

  // Zipf-like popularity over a random ranking, so heavy users are not simply the lowest ids.
  const size_t user_count = static_cast<size_t>(std::max(1, options.users));
  std::vector<size_t> rank(user_count);
  for (size_t i = 0; i < user_count; ++i) rank[i] = i;
  for (size_t i = user_count; i > 1; --i) std::swap(rank[i - 1], rank[static_cast<size_t>(rng.Next() % i)]);

  WeightedPicker group_picker([&] {
    std::vector<double> w;
    for (const Group& g : catalog.groups) w.push_back(g.user_share);
    return w;
  }());

  for (size_t i = 0; i < user_count; ++i) {
    User u;
    u.id = static_cast<int64_t>(i) + 1;
    if (i == 0) {
      u.username = "root";
      u.display_name = "Root User";
      u.role = 100;
      u.group = "default";
      u.created_at = p.setup_time;
    } else {
      do {
        u.username = std::string(PickFrom(rng, kNames)) + (rng.Chance(0.5) ? "_" : "") + I(rng.UniformInt(1, 9999));
      } while (!used_names.insert(u.username).second);
      u.display_name = u.username;
      u.group = catalog.groups[group_picker.Pick(rng)].name;
      u.created_at = options.history_start - rng.UniformInt(1 * kDay, 365 * kDay);
      if (rng.Chance(0.03)) u.status = 2;
    }
    u.password = "$2a$10$" + rng.Alnum(53);
    if (rng.Chance(0.6)) u.email = u.username + "@" + PickFrom(rng, kMailDomains);
    if (rng.Chance(0.2)) u.access_token = rng.Alnum(32);
    do {
      u.aff_code = rng.Alnum(4);
    } while (!used_aff.insert(Lower(u.aff_code)).second);  // the unique index compares case-insensitively
    u.quota = static_cast<int64_t>(rng.LogNormal(std::log(20.0), 1.2) * kQuotaPerUnit);
    u.record_ip_log = rng.Chance(0.3);
    u.home_ip = RandomIp(rng, &used_ips);
    if (rng.Chance(0.35)) u.mobile_ip = RandomIp(rng, &used_ips);
    u.traffic_weight = u.status == 1 ? 1.0 / std::pow(static_cast<double>(rank[i]) + 1.0, 1.1) : 0.0;

    const double r = rng.Uniform01();
    const int token_count = r < 0.6 ? 1 : (r < 0.9 ? 2 : 3);
    for (int t = 0; t < token_count; ++t) {
      Token token;
      token.id = static_cast<int64_t>(p.tokens.size()) + 1;
      token.user_id = u.id;
      token.user_index = i;
      do {
        token.key = rng.Alnum(48);
      } while (!used_keys.insert(Lower(token.key)).second);
      token.name = t == 0 ? "default" : PickFrom(rng, kTokenNames);
      token.created_time = u.created_at + rng.UniformInt(0, std::max<int64_t>(1, options.history_start - u.created_at));
      const double s = rng.Uniform01();
      if (t > 0 && s < 0.05) {
        token.status = 2;
      } else if (t > 0 && s < 0.07) {
        token.status = 3;
        token.expired_time = options.history_start - rng.UniformInt(kDay, 30 * kDay);
      }
      token.unlimited_quota = rng.Chance(0.8);
      if (!token.unlimited_quota)
        token.remain_quota = static_cast<int64_t>(rng.LogNormal(std::log(5.0), 1.0) * kQuotaPerUnit);
      token.weight = token.status == 1 ? (t == 0 ? 1.0 : (t == 1 ? 0.4 : 0.2)) : 0.0;
      u.tokens.push_back(p.tokens.size());
      p.tokens.push_back(std::move(token));
    }
    p.users.push_back(std::move(u));
  }

  // Households/offices: a few small groups of users share a home IP (never more than three per IP). The first
  // one, three record_ip_log users, is used by the shared-IP decoy.
  for (size_t start = 1; start + 3 < p.users.size(); start += 150) {
    const size_t size = p.family_users.empty() ? 3 : static_cast<size_t>(rng.UniformInt(2, 3));
    const std::string ip = p.users[start].home_ip;
    for (size_t k = 0; k < size; ++k) {
      User& member = p.users[start + k];
      member.home_ip = ip;
      if (p.family_users.empty()) member.record_ip_log = true;
    }
    if (p.family_users.empty()) {
      p.family_users = {start, start + 1, start + 2};
      p.family_ip = ip;
    }
  }

  const size_t channel_count = static_cast<size_t>(std::max(1, options.channels));
  for (size_t i = 0; i < channel_count; ++i) {
    Channel c;
    c.id = static_cast<int64_t>(i) + 1;
    c.spec = catalog.channel_templates[i % catalog.channel_templates.size()];
    if (i >= catalog.channel_templates.size())
      c.spec.name += "-" + I(static_cast<int64_t>(i / catalog.channel_templates.size()) + 1);
    c.key = ChannelKey(rng, c.spec.type);
    c.balance_usd = std::round(rng.LogNormal(std::log(200.0), 1.0) * 100) / 100;
    c.response_time_ms = static_cast<int64_t>(rng.LogNormal(std::log(c.spec.flaky ? 2500.0 : 800.0), 0.4));
    c.created_time = p.setup_time + rng.UniformInt(kDay, 200 * kDay);
    c.test_time = options.history_start - rng.UniformInt(0, 6 * 3600);
    p.channels.push_back(std::move(c));
  }
  for (size_t i = 0; i < p.channels.size(); ++i) {
    if (p.channels[i].spec.flaky) {
      p.flaky_channel = i;
      break;
    }
  }

  p.routes.resize(catalog.models.size());
  for (size_t m = 0; m < catalog.models.size(); ++m) {
    p.routes[m].resize(catalog.groups.size());
    for (size_t g = 0; g < catalog.groups.size(); ++g) {
      std::vector<size_t> serving, any_group;
      for (size_t c = 0; c < p.channels.size(); ++c) {
        const ChannelTemplate& spec = p.channels[c].spec;
        if (spec.status != 1) continue;
        if (std::find(spec.models.begin(), spec.models.end(), catalog.models[m].name) == spec.models.end()) continue;
        any_group.push_back(c);
        if (std::find(spec.groups.begin(), spec.groups.end(), catalog.groups[g].name) != spec.groups.end()) {
          serving.push_back(c);
        }
      }
      // With fewer channels than templates a group may lack a channel; fall back to any enabled one.
      Population::Route& route = p.routes[m][g];
      route.channels = serving.empty() ? any_group : serving;
      std::vector<double> weights;
      for (size_t c : route.channels) weights.push_back(std::max(1, p.channels[c].spec.weight));
      route.picker = WeightedPicker(weights);
    }
  }
  return p;
}

EntityTotals::EntityTotals(const Population& p)
    : user_used_quota(p.users.size()),
      user_request_count(p.users.size()),
      user_last_login(p.users.size()),
      token_used_quota(p.tokens.size()),
      token_accessed_time(p.tokens.size()),
      channel_used_quota(p.channels.size()) {}

std::vector<std::string> EntityInsertStatements(const observer::Dialect& dialect, const Catalog& catalog,
                                                const Population& p, const EntityTotals& totals, int64_t now) {
  auto Q = [&](std::string_view v) { return SqlQuote(dialect, v); };
  auto QOrNull = [&](std::string_view v) { return v.empty() ? std::string("NULL") : SqlQuote(dialect, v); };
  auto B = [&](bool v) { return dialect.Bool(v); };
  std::vector<std::string> out;
  {
    InsertBatcher users(&out,
                        "INSERT INTO users (id, username, password, display_name, role, status, email, access_token, "
                        "quota, used_quota, request_count, \"group\", aff_code, aff_count, aff_quota, aff_history, "
                        "setting, created_at, last_login_at, auth_version)");
    for (size_t i = 0; i < p.users.size(); ++i) {
      const User& u = p.users[i];
      std::string setting;
      if (u.record_ip_log) {
        setting = R"({"notify_type":"email","quota_warning_threshold":500000,"record_ip_log":true})";
      } else if (u.id % 2 == 0) {
        setting = R"({"notify_type":"email","quota_warning_threshold":500000,"record_ip_log":false})";
      }
      const int64_t last_login = totals.user_last_login[i] > 0 ? totals.user_last_login[i] : u.created_at;
      users.Add(Join({I(u.id),
                      Q(u.username),
                      Q(u.password),
                      Q(u.display_name),
                      I(u.role),
                      I(u.status),
                      Q(u.email),
                      QOrNull(u.access_token),
                      I(std::max<int64_t>(0, u.quota - totals.user_used_quota[i] / 4)),
                      I(totals.user_used_quota[i]),
                      I(totals.user_request_count[i]),
                      Q(u.group),
                      Q(u.aff_code),
                      "0",
                      "0",
                      "0",
                      Q(setting),
                      I(u.created_at),
                      I(last_login),
                      "1"},
                     ','));
    }
  }
  {
    InsertBatcher tokens(&out,
                         "INSERT INTO tokens (id, user_id, \"key\", status, name, created_time, accessed_time, "
                         "expired_time, remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, "
                         "used_quota, \"group\", cross_group_retry)");
    for (size_t i = 0; i < p.tokens.size(); ++i) {
      const Token& t = p.tokens[i];
      const int64_t accessed = totals.token_accessed_time[i] > 0 ? totals.token_accessed_time[i] : t.created_time;
      tokens.Add(Join({I(t.id), I(t.user_id), Q(t.key), I(t.status), Q(t.name), I(t.created_time), I(accessed),
                       I(t.expired_time), I(t.remain_quota), B(t.unlimited_quota), B(false), "''", "''",
                       I(totals.token_used_quota[i]), "''", B(false)},
                      ','));
    }
  }
  {
    InsertBatcher channels(&out,
                           "INSERT INTO channels (id, type, \"key\", status, name, weight, created_time, test_time, "
                           "response_time, base_url, balance, balance_updated_time, models, \"group\", used_quota, "
                           "model_mapping, priority, auto_ban, other_info, test_model, channel_info, settings)");
    InsertBatcher abilities(&out, "INSERT INTO abilities (\"group\", model, channel_id, enabled, priority, weight)");
    for (size_t i = 0; i < p.channels.size(); ++i) {
      const Channel& c = p.channels[i];
      std::string other_info = "{}";
      if (c.spec.status == 3) {
        other_info = nlohmann::json{{"status_reason", "status_code=429, upstream error: rate limit exceeded"},
                                    {"status_time", now - 3 * 3600}}
                         .dump();
      }
      channels.Add(Join({I(c.id),
                         I(c.spec.type),
                         Q(c.key),
                         I(c.spec.status),
                         Q(c.spec.name),
                         I(c.spec.weight),
                         I(c.created_time),
                         I(c.test_time),
                         I(c.response_time_ms),
                         Q(c.spec.base_url),
                         FormatNumber(c.balance_usd),
                         I(c.test_time),
                         Q(Join(c.spec.models, ',')),
                         Q(Join(c.spec.groups, ',')),
                         I(totals.channel_used_quota[i]),
                         "''",
                         I(c.spec.priority),
                         "1",
                         Q(other_info),
                         Q(c.spec.models.front()),
                         Q(R"({"is_multi_key":false,"multi_key_size":0,"multi_key_status_list":null})"),
                         "'{}'"},
                        ','));
      for (const std::string& group : c.spec.groups) {
        for (const std::string& model : c.spec.models) {
          abilities.Add(
              Join({Q(group), Q(model), I(c.id), B(c.spec.status == 1), I(c.spec.priority), I(c.spec.weight)}, ','));
        }
      }
    }
  }
  {
    InsertBatcher options(&out, "INSERT INTO options (\"key\", value)");
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"QuotaPerUnit", FormatNumber(kQuotaPerUnit)},
        {"ModelRatio", ModelRatioJson(catalog)},
        {"CompletionRatio", CompletionRatioJson(catalog)},
        {"CacheRatio", CacheRatioJson(catalog)},
        {"ModelPrice", ModelPriceJson(catalog)},
        {"GroupRatio", GroupRatioJson(catalog)},
        {"LogConsumeEnabled", "true"},
        {"DataExportEnabled", "true"},
        {"DataExportInterval", "5"},
        {"DisplayInCurrencyEnabled", "true"},
        {"SystemName", "New API"},
    };
    for (const auto& [key, value] : rows) options.Add(Q(key) + "," + Q(value));
  }
  {
    InsertBatcher vendors(&out,
                          "INSERT INTO vendors (id, name, description, icon, status, created_time, updated_time)");
    for (const Vendor& v : catalog.vendors) {
      vendors.Add(Join({I(v.id), Q(v.name), Q(v.description), Q(v.name), "1", I(p.setup_time), I(p.setup_time)}, ','));
    }
    InsertBatcher models(&out,
                         "INSERT INTO models (id, model_name, description, tags, vendor_id, endpoints, status, "
                         "sync_official, created_time, updated_time, name_rule)");
    for (size_t i = 0; i < catalog.models.size(); ++i) {
      const ModelSpec& m = catalog.models[i];
      models.Add(Join({I(static_cast<int64_t>(i) + 1), Q(m.name), Q(""), Q(m.fixed_price() ? "media" : "chat"),
                       I(m.vendor_id), Q(EndpointsOf(m)), "1", "1", I(p.setup_time), I(p.setup_time), "0"},
                      ','));
    }
  }
  out.push_back("INSERT INTO setups (id, version, initialized_at) VALUES (1, 'v0.9.0', " + I(p.setup_time) + ")");
  return out;
}

}  // namespace sim
