// Who may call /api/* and what each caller may see: the roles (viewer, analyst, admin) and the one table of what
// each endpoint and parameter requires, the identities (API_TOKEN, the tokens file of API_TOKENS_FILE, the user and
// groups a trusted reverse proxy passes, basic auth users, API_AUTH=none) and the origins allowed cross-origin
// (CORS_ORIGINS; none by default: the UI is served from the same origin).
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/params.h"
#include "observer/bearer_token.h"
#include "observer/rules/rules.h"

namespace exporter::api {

// Ordered: each role may do everything the ones before it may. kNone: a known caller with no role (a proxy user in
// no mapped group), refused 403 everywhere.
enum class Role { kNone = 0, kViewer = 1, kAnalyst = 2, kAdmin = 3 };
const char* RoleName(Role role);
// "viewer", "analyst" or "admin"; nullopt otherwise.
std::optional<Role> ParseRole(std::string_view text);

// One row of the permission matrix: a request to path needs role; with param given, only when the parameter's
// value is one of values ("*": any value; "(absent)": the parameter not given, so its default applies).
struct Permission {
  const char* path;
  const char* param;   // "" = the endpoint itself
  const char* values;  // comma-separated
  Role role;
};
// The matrix (README "Roles" prints the same table).
extern const std::vector<Permission> kPermissions;
// The role a request needs: the highest of its path's rows that match; kAdmin for a path missing from the table.
Role RequiredRole(const std::string& path, const QueryParams& params);
// The fields of /api/stats/anomalies that roles below analyst do not get (they name tokens, users and IPs).
inline constexpr const char* kSubjectFields[] = {"subject_id", "subject_name"};

struct Identity {
  std::string name;  // token name, proxy user, basic auth user, "api-token" or "anonymous"
  Role role = Role::kNone;
  std::string via;  // token, tokens_file, proxy, basic_auth or none
};

// One entry of the tokens file.
struct TokenEntry {
  std::string name;
  Role role = Role::kViewer;
  std::string sha256;  // of the token, 64 lowercase hex digits
};
// Parses the tokens file's YAML: `tokens: [{name, role, sha256}, ...]`. Throws std::runtime_error naming the entry
// and key (never a hash) on anything else, a duplicate name or a duplicate hash.
std::vector<TokenEntry> ParseTokensFile(const std::string& yaml_text);
// The lowercase hex SHA-256 of text (what the tokens file holds for a token: `printf %s TOKEN | sha256sum`).
std::string Sha256Hex(std::string_view text);

// The tokens file, reloaded on request (SIGHUP, POST /-/reload) and when its modification time or size changes; a
// file that does not parse keeps the entries loaded before and is logged.
class TokensFile {
 public:
  explicit TokensFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  // "" or the error; the entries loaded before stay on an error.
  std::string Reload();
  // Reloads when the file changed since the last look (looks at most once a second).
  void ReloadIfChanged();
  // The entry whose hash is the token's, if any (every entry is compared: timing says nothing about which).
  std::optional<TokenEntry> Find(std::string_view token) const;
  size_t size() const;

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<TokenEntry>> entries_ = std::make_shared<const std::vector<TokenEntry>>();
  std::string seen_;  // modification time and size at the last load
  long long last_look_ms_ = 0;
};

// The reverse proxy in front (oauth2-proxy and the like): its addresses, its headers and the groups' roles.
struct ProxyOptions {
  observer::rules::AllowList addresses;  // API_TRUSTED_PROXIES; empty = the headers are never trusted
  std::string user_header = "X-Forwarded-User";
  std::string groups_header = "X-Forwarded-Groups";
  std::map<std::string, Role> group_roles;  // API_PROXY_GROUP_ROLES; "*" = any user the proxy passes
  bool enabled() const { return !addresses.empty(); }
};
// Parses "group=role,group=role" ("*=viewer": everyone the proxy passes); false with *error otherwise.
bool ParseGroupRoles(const std::string& text, std::map<std::string, Role>* out, std::string* error);
// The highest role the groups (comma-separated, as oauth2-proxy sends them) map to; kNone when none does.
Role RoleOfGroups(const std::string& groups_header, const std::map<std::string, Role>& group_roles);

struct AccessOptions {
  std::string token;                        // API_TOKEN: an admin; "" = none
  bool open = false;                        // API_AUTH=none: a caller without credentials is admin "anonymous"
  std::shared_ptr<TokensFile> tokens_file;  // null = no API_TOKENS_FILE
  ProxyOptions proxy;
  bool basic_auth = false;  // the web config's basic auth users (checked by the HTTP server): admins
  std::set<std::string> cors_origins;
};

// Who made the request; nullopt = nobody known (401). Proxy headers from an address that is not a trusted proxy are
// ignored and logged.
std::optional<Identity> Authenticate(const httplib::Request& req, const AccessOptions& access);
// Adds the CORS headers when the request's Origin is allowed; nothing otherwise (the browser then blocks it).
void ApplyCors(const httplib::Request& req, httplib::Response& res, const AccessOptions& access);

}  // namespace exporter::api
