// The web configuration file of both binaries (--web.config.file) in the Prometheus exporter-toolkit format: TLS and
// bcrypt basic auth for every path, and the listen and telemetry-path settings that go with it.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "observer/config.h"

namespace observer {

struct TlsSettings {
  std::string cert_file;  // PEM certificate (chain); empty = plain HTTP
  std::string key_file;   // PEM private key
  // NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert.
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;         // CAs that client certificates are verified against
  std::string min_version = "TLS12";  // TLS10 .. TLS13
  std::string max_version;            // empty = the newest OpenSSL offers

  bool enabled() const { return !cert_file.empty(); }
};

struct WebConfig {
  TlsSettings tls;
  std::map<std::string, std::string> users;  // basic_auth_users: name -> bcrypt hash; empty = no basic auth
};

// Parses the YAML text of a web configuration file. Relative file names are taken from base_dir (the file's own
// directory, as the exporter-toolkit does). Throws ConfigError naming the key (never a hash) on an unknown or
// unsupported key, a missing certificate or key, or a hash that is not bcrypt.
WebConfig ParseWebConfig(const std::string& yaml_text, const std::string& base_dir);
// Reads and parses the file; an empty path gives the empty configuration (plain HTTP, no basic auth).
WebConfig LoadWebConfig(const std::string& path);

// An OpenSSL server context from the TLS settings. Throws ConfigError naming the key and file when a certificate or
// key cannot be loaded or they do not match.
std::shared_ptr<SSL_CTX> MakeTlsContext(const TlsSettings& tls);

// True when password hashes to bcrypt_hash ($2a$, $2b$ or $2y$), compared in constant time.
bool BcryptMatches(const std::string& password, const std::string& bcrypt_hash);

// True when an Authorization header is "Basic base64(user:password)" for a user of users with that password. An
// unknown user costs the same bcrypt work as a wrong password, so the two cannot be told apart by timing.
bool BasicAuthMatches(std::string_view authorization_header, const std::map<std::string, std::string>& users);

// The basic auth of a server: BasicAuthMatches() with the credentials already verified remembered (as SHA-256 digests
// of the header, never the password), so a client that repeats them pays bcrypt once. At most 1024 are remembered.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}
  bool enabled() const { return !users_.empty(); }
  bool Allows(std::string_view authorization_header);

 private:
  const std::map<std::string, std::string> users_;
  std::mutex mutex_;
  std::set<std::string> verified_;
};

struct ListenAddress {
  std::string host;
  int port = 0;
};

// Where and how a binary serves HTTP.
struct WebOptions {
  std::vector<ListenAddress> listen;
  std::string telemetry_path = "/metrics";
  std::string config_file;  // --web.config.file, for messages
  WebConfig config;
  std::shared_ptr<SSL_CTX> tls_context;  // from config.tls; null = plain HTTP
};

// web.host and web.port (the defaults: host_env/port_env), web.listen-address (repeatable, <prefix>_LISTEN_ADDRESS
// comma-separated), web.telemetry-path (<prefix>_TELEMETRY_PATH), web.config.file (<prefix>_WEB_CONFIG_FILE).
std::vector<Setting> WebSettings(const std::string& prefix, const std::string& default_port,
                                 const std::string& port_help);
// Throws ConfigError naming the setting (and the web config's key). Loads the TLS certificate and key.
// --web.listen-address, when given, replaces --web.host/--web.port.
WebOptions WebOptionsFrom(const Config& config);
// The start-up error for a bearer token set (env names it) on a server whose web config has basic_auth_users: both
// would travel in the one Authorization header, so no client could send both.
std::string TokenWithBasicAuthError(const std::string& env);
// "host:port", "[v6]:port" or ":port" (all addresses); false with *error on anything else.
bool ParseListenAddress(const std::string& text, ListenAddress* out, std::string* error);

}  // namespace observer
