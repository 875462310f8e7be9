// Roles, the permission matrix, identities and CORS headers.
#include "api/access.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "observer/log.h"

namespace exporter::api {

const std::vector<Permission> kPermissions = {
    // Who the caller is: any known caller, even one without a role (a proxy user in no mapped group).
    {"/api/info", "", "", Role::kNone},
    // Aggregates: every role.
    {"/api/stats/series", "", "", Role::kViewer},
    {"/api/stats/heatmap", "", "", Role::kViewer},
    {"/api/stats/top", "", "", Role::kViewer},
    // The findings without their subjects (kSubjectFields) for viewers.
    {"/api/stats/anomalies", "", "", Role::kViewer},
    {"/api/stats/active", "", "", Role::kViewer},  // counts of distinct users and tokens, no identities
    // Users, tokens and IPs: analysts. Top's default dimension is user.
    {"/api/stats/top", "by", "(absent),user,token", Role::kAnalyst},
    {"/api/stats/series", "user", "*", Role::kAnalyst},
    {"/api/stats/series", "token", "*", Role::kAnalyst},
    {"/api/stats/top", "user", "*", Role::kAnalyst},
    {"/api/stats/top", "token", "*", Role::kAnalyst},
    {"/api/stats/heatmap", "user", "*", Role::kAnalyst},
    {"/api/stats/heatmap", "token", "*", Role::kAnalyst},
    {"/api/stats/active", "user", "*", Role::kAnalyst},
    {"/api/stats/active", "token", "*", Role::kAnalyst},
    // Request rows, IPs and users of a finding; request rows by subject; every CSV export.
    {"/api/stats/anomalies/detail", "", "", Role::kAnalyst},
    {"/api/logs", "", "", Role::kAnalyst},
    {"/api/export/csv", "", "", Role::kAnalyst},
    // Changes: the rules reload and the response actions.
    {"/-/reload", "", "", Role::kAdmin},
    {"/api/actions", "", "", Role::kAdmin},
    {"/api/actions/undo", "", "", Role::kAdmin},
};

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kAnalyst: return "analyst";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role role : {Role::kViewer, Role::kAnalyst, Role::kAdmin}) {
    if (text == RoleName(role)) return role;
  }
  return std::nullopt;
}

namespace {

bool ListHas(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool Matches(const Permission& p, const QueryParams& params) {
  if (*p.param == '\0') return true;
  const auto [first, last] = params.equal_range(p.param);
  if (first == last) return ListHas(p.values, "(absent)");
  for (auto it = first; it != last; ++it) {
    if (std::string_view(p.values) == "*" || ListHas(p.values, it->second)) return true;
  }
  return false;
}

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "mtime-ns:size" of a file, "" when it cannot be read.
std::string FileStamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_size);
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.erase(0, 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

// The user name of "Basic base64(user:password)" ("" when it is not one).
std::string BasicUser(std::string_view header) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.substr(0, kScheme.size()) != kScheme) return "";
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string decoded;
  int bits = 0;
  unsigned value = 0;
  for (char c : header.substr(kScheme.size())) {
    if (c == '=') break;
    const size_t digit = kAlphabet.find(c);
    if (digit == std::string::npos) return "";
    value = (value << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.push_back(static_cast<char>((value >> bits) & 0xFF));
    }
  }
  return decoded.substr(0, decoded.find(':'));
}

}  // namespace

Role RequiredRole(const std::string& path, const QueryParams& params) {
  Role required = Role::kNone;
  bool known = false;
  for (const Permission& p : kPermissions) {
    if (path != p.path) continue;
    known = true;
    if (Matches(p, params) && p.role > required) required = p.role;
  }
  return known ? required : Role::kAdmin;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

std::vector<TokenEntry> ParseTokensFile(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("not YAML: " + std::string(e.what()));
  }
  if (!root.IsMap() || root.size() != 1 || !root["tokens"] || !root["tokens"].IsSequence()) {
    throw std::runtime_error("expected one key, tokens: a list of {name, role, sha256}");
  }
  std::vector<TokenEntry> entries;
  std::set<std::string> names, hashes;
  int index = 0;
  for (const YAML::Node& node : root["tokens"]) {
    const std::string where = "tokens[" + std::to_string(index++) + "]";
    if (!node.IsMap()) throw std::runtime_error(where + ": expected a map with name, role and sha256");
    for (const auto& key : node) {
      const std::string k = key.first.as<std::string>("");
      if (k != "name" && k != "role" && k != "sha256") throw std::runtime_error(where + ": unknown key '" + k + "'");
    }
    auto text = [&](const char* key) {
      if (!node[key] || !node[key].IsScalar()) throw std::runtime_error(where + "." + key + ": missing");
      return node[key].as<std::string>();
    };
    TokenEntry entry;
    entry.name = text("name");
    if (entry.name.empty() || entry.name.size() > 64) throw std::runtime_error(where + ".name: 1-64 characters");
    const std::optional<Role> role = ParseRole(text("role"));
    if (!role) throw std::runtime_error(where + ".role: expected viewer, analyst or admin");
    entry.role = *role;
    entry.sha256 = text("sha256");
    bool hex = entry.sha256.size() == 64;
    for (char& c : entry.sha256) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (!hex) throw std::runtime_error(where + ".sha256: expected 64 hex digits (printf %s TOKEN | sha256sum)");
    if (!names.insert(entry.name).second) throw std::runtime_error(where + ".name: '" + entry.name + "' twice");
    if (!hashes.insert(entry.sha256).second)
      throw std::runtime_error(where + ".sha256: the same token as an entry before");
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string TokensFile::Reload() {
  const std::string stamp = FileStamp(path_);
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string error;
  if (!in) {
    error = "cannot read the file";
  } else {
    try {
      auto entries = std::make_shared<const std::vector<TokenEntry>>(ParseTokensFile(text.str()));
      std::lock_guard<std::mutex> lock(mutex_);
      entries_ = std::move(entries);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  seen_ = stamp;
  if (error.empty()) {
    observer::log::Info("API tokens file loaded", {{"file", path_}, {"tokens", entries_->size()}});
  } else {
    observer::log::Error("API tokens file rejected; the tokens loaded before stay",
                         {{"file", path_}, {"error", error}, {"tokens", entries_->size()}});
  }
  return error;
}

void TokensFile::ReloadIfChanged() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const long long now = NowMs();
    if (now - last_look_ms_ < 1000) return;
    last_look_ms_ = now;
    if (FileStamp(path_) == seen_) return;
  }
  Reload();
}

std::optional<TokenEntry> TokensFile::Find(std::string_view token) const {
  std::shared_ptr<const std::vector<TokenEntry>> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries = entries_;
  }
  const std::string hash = Sha256Hex(token);
  std::optional<TokenEntry> found;
  for (const TokenEntry& entry : *entries) {
    if (observer::ConstantTimeEquals(hash, entry.sha256) && !found) found = entry;
  }
  return found;
}

size_t TokensFile::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_->size();
}

bool ParseGroupRoles(const std::string& text, std::map<std::string, Role>* out, std::string* error) {
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = Trimmed(item);
    if (item.empty()) continue;
    const size_t eq = item.rfind('=');
    const std::string group = eq == std::string::npos ? "" : Trimmed(item.substr(0, eq));
    const std::optional<Role> role = eq == std::string::npos ? std::nullopt : ParseRole(Trimmed(item.substr(eq + 1)));
    if (group.empty() || !role) {
      *error = "'" + item + "': expected group=viewer|analyst|admin";
      return false;
    }
    (*out)[group] = *role;
  }
  return true;
}

Role RoleOfGroups(const std::string& groups_header, const std::map<std::string, Role>& group_roles) {
  Role role = Role::kNone;
  if (auto any = group_roles.find("*"); any != group_roles.end()) role = any->second;
  std::stringstream groups(groups_header);
  std::string group;
  while (std::getline(groups, group, ',')) {
    group = Trimmed(group);
    if (auto it = group_roles.find(group); it != group_roles.end() && it->second > role) role = it->second;
  }
  return role;
}

std::optional<Identity> Authenticate(const httplib::Request& req, const AccessOptions& access) {
  const ProxyOptions& proxy = access.proxy;
  if (req.has_header(proxy.user_header) || req.has_header(proxy.groups_header)) {
    if (proxy.enabled() && proxy.addresses.AllowsIp(req.remote_addr)) {
      const std::string user = req.get_header_value(proxy.user_header);
      if (!user.empty()) {
        return Identity{user, RoleOfGroups(req.get_header_value(proxy.groups_header), proxy.group_roles), "proxy"};
      }
    } else {
      observer::log::Warn("API: identity headers from an address that is not a trusted proxy ignored",
                          {{"remote", req.remote_addr}, {"header", proxy.user_header}});
    }
  }
  const std::string authorization = req.get_header_value("Authorization");
  if (!access.token.empty() && observer::BearerTokenMatches(authorization, access.token)) {
    return Identity{"api-token", Role::kAdmin, "token"};
  }
  if (access.tokens_file && authorization.rfind("Bearer ", 0) == 0) {
    access.tokens_file->ReloadIfChanged();
    if (std::optional<TokenEntry> entry = access.tokens_file->Find(std::string_view(authorization).substr(7))) {
      return Identity{entry->name, entry->role, "tokens_file"};
    }
  }
  // The HTTP server has already refused every request without a valid user and password.
  if (access.basic_auth) {
    if (std::string user = BasicUser(authorization); !user.empty()) return Identity{user, Role::kAdmin, "basic_auth"};
  }
  if (access.open) return Identity{"anonymous", Role::kAdmin, "none"};
  return std::nullopt;
}

void ApplyCors(const httplib::Request& req, httplib::Response& res, const AccessOptions& access) {
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty() || access.cors_origins.count(origin) == 0) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Methods", "GET, OPTIONS");
  res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.set_header("Access-Control-Expose-Headers", "X-Request-Id, X-Query-Source, Retry-After");
  res.set_header("Access-Control-Max-Age", "600");
}

}  // namespace exporter::api
