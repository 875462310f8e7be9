// Parsing of the web configuration file (exporter-toolkit format), bcrypt basic auth, and the listen settings.
#include "observer/web_config.h"

#include <crypt.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "observer/bearer_token.h"

namespace observer {
namespace {

// The toolkit's keys this server does not implement: refused by name rather than silently ignored.
const std::set<std::string> kUnsupportedTlsKeys = {"cert",
                                                   "key",
                                                   "client_ca",
                                                   "cipher_suites",
                                                   "curve_preferences",
                                                   "prefer_server_cipher_suites",
                                                   "client_allowed_sans"};
const std::set<std::string> kClientAuthTypes = {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                                                "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
const std::set<std::string> kTlsVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};

std::string Scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) throw ConfigError("web config: " + key + " must be a string");
  return node.as<std::string>();
}

std::string Resolve(const std::string& base_dir, const std::string& file) {
  if (file.empty() || base_dir.empty() || file.front() == '/') return file;
  return (std::filesystem::path(base_dir) / file).string();
}

TlsSettings ParseTls(const YAML::Node& node, const std::string& base_dir) {
  TlsSettings tls;
  if (node.IsNull()) return tls;
  if (!node.IsMap()) throw ConfigError("web config: tls_server_config must be a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string name = "tls_server_config." + key;
    if (key == "cert_file") {
      tls.cert_file = Resolve(base_dir, Scalar(entry.second, name));
    } else if (key == "key_file") {
      tls.key_file = Resolve(base_dir, Scalar(entry.second, name));
    } else if (key == "client_auth_type") {
      tls.client_auth_type = Scalar(entry.second, name);
      if (kClientAuthTypes.count(tls.client_auth_type) == 0) {
        throw ConfigError("web config: " + name + " '" + tls.client_auth_type +
                          "' is not NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven "
                          "or RequireAndVerifyClientCert");
      }
    } else if (key == "client_ca_file") {
      tls.client_ca_file = Resolve(base_dir, Scalar(entry.second, name));
    } else if (key == "min_version" || key == "max_version") {
      std::string& version = key == "min_version" ? tls.min_version : tls.max_version;
      version = Scalar(entry.second, name);
      if (kTlsVersions.count(version) == 0) {
        throw ConfigError("web config: " + name + " '" + version + "' is not TLS10, TLS11, TLS12 or TLS13");
      }
    } else if (kUnsupportedTlsKeys.count(key) != 0) {
      throw ConfigError("web config: " + name +
                        " is not supported by newapi-observer (cert_file, key_file, "
                        "client_auth_type, client_ca_file, min_version and max_version are)");
    } else {
      throw ConfigError("web config: unknown key " + name);
    }
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    throw ConfigError("web config: tls_server_config needs both cert_file and key_file");
  }
  const bool verifies =
      tls.client_auth_type == "VerifyClientCertIfGiven" || tls.client_auth_type == "RequireAndVerifyClientCert";
  if (verifies && tls.client_ca_file.empty()) {
    throw ConfigError("web config: tls_server_config.client_auth_type " + tls.client_auth_type +
                      " needs tls_server_config.client_ca_file");
  }
  return tls;
}

std::map<std::string, std::string> ParseUsers(const YAML::Node& node) {
  std::map<std::string, std::string> users;
  if (node.IsNull()) return users;
  if (!node.IsMap()) throw ConfigError("web config: basic_auth_users must be a mapping of user: bcrypt hash");
  for (const auto& entry : node) {
    const std::string user = entry.first.as<std::string>();
    const std::string name = "basic_auth_users." + user;
    const std::string hash = Scalar(entry.second, name);
    if (user.empty() || user.find(':') != std::string::npos) {
      throw ConfigError("web config: " + name + ": a user name must be non-empty and without ':'");
    }
    // crypt() answers a hash it cannot use with a string starting with '*'; checked now, not at the first request.
    const bool bcrypt = hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0;
    crypt_data data{};
    const char* out = bcrypt ? crypt_rn("", hash.c_str(), &data, sizeof data) : nullptr;
    if (out == nullptr || out[0] == '*') {
      throw ConfigError("web config: " + name +
                        " is not a bcrypt hash ($2y$..., e.g. from htpasswd -nbBC 10 USER PASS)");
    }
    users[user] = hash;
  }
  return users;
}

std::string DecodeBase64(std::string_view text) {
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : text) {
    int digit;
    if (c >= 'A' && c <= 'Z')
      digit = c - 'A';
    else if (c >= 'a' && c <= 'z')
      digit = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      digit = c - '0' + 52;
    else if (c == '+')
      digit = 62;
    else if (c == '/')
      digit = 63;
    else if (c == '=')
      break;
    else
      return {};
    value = (value << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
    }
  }
  return out;
}

// Hashed in place of an unknown user's, so an unknown user takes about as long as a known one with a wrong password:
// cost 10, the README's htpasswd -C 10.
std::string DecoyHash() {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  crypt_data data{};
  if (crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof salt) == nullptr) return "*";
  const char* out = crypt_rn("decoy", salt, &data, sizeof data);
  return out != nullptr ? out : "*";
}

// OpenSSL's reason for the last failure.
std::string TlsError() {
  char text[256] = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

int TlsVersion(const std::string& name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS12") return TLS1_2_VERSION;
  return TLS1_3_VERSION;
}

// RequestClientCert and RequireAnyClientCert take any certificate, as Go's crypto/tls does.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

std::shared_ptr<SSL_CTX> MakeTlsContext(const TlsSettings& tls) {
  if (!tls.enabled()) return nullptr;
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) throw ConfigError("web config: cannot create a TLS context: " + TlsError());
  SSL_CTX* ctx = context.get();
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    throw ConfigError("web config: tls_server_config.cert_file '" + tls.cert_file + "': " + TlsError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw ConfigError("web config: tls_server_config.key_file '" + tls.key_file + "': " + TlsError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw ConfigError("web config: tls_server_config.key_file does not match cert_file: " + TlsError());
  }
  SSL_CTX_set_min_proto_version(ctx, TlsVersion(tls.min_version));
  if (!tls.max_version.empty()) SSL_CTX_set_max_proto_version(ctx, TlsVersion(tls.max_version));
  // Renegotiation lets one client make the server repeat handshakes on one connection; nothing needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The workers write answers in pieces through a non-blocking socket.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      throw ConfigError("web config: tls_server_config.client_ca_file '" + tls.client_ca_file + "': " + TlsError());
    }
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  const std::string& type = tls.client_auth_type;
  if (type == "RequestClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
  } else if (type == "RequireAnyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
  } else if (type == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else if (type == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return context;
}

WebConfig ParseWebConfig(const std::string& yaml_text, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("web config: not YAML: ") + e.what());
  }
  WebConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) throw ConfigError("web config: the file must be a mapping");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (key == "tls_server_config") {
      config.tls = ParseTls(entry.second, base_dir);
    } else if (key == "basic_auth_users") {
      config.users = ParseUsers(entry.second);
    } else if (key == "http_server_config") {
      throw ConfigError("web config: http_server_config is not supported by newapi-observer");
    } else {
      throw ConfigError("web config: unknown key " + key);
    }
  }
  return config;
}

WebConfig LoadWebConfig(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path);
  if (!in) throw ConfigError("web config: cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return ParseWebConfig(text.str(), std::filesystem::path(path).parent_path().string());
}

bool BcryptMatches(const std::string& password, const std::string& bcrypt_hash) {
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), bcrypt_hash.c_str(), &data, sizeof data);
  if (out == nullptr || out[0] == '*') return false;
  return ConstantTimeEquals(out, bcrypt_hash);
}

bool BasicAuthMatches(std::string_view authorization_header, const std::map<std::string, std::string>& users) {
  static const std::string kDecoy = DecoyHash();
  constexpr std::string_view kScheme = "Basic ";
  if (authorization_header.size() <= kScheme.size() || authorization_header.substr(0, kScheme.size()) != kScheme) {
    return false;
  }
  const std::string decoded = DecodeBase64(authorization_header.substr(kScheme.size()));
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const auto user = users.find(decoded.substr(0, colon));
  const std::string& hash = user != users.end() ? user->second : kDecoy;
  const bool matches = BcryptMatches(decoded.substr(colon + 1), hash);
  return matches && user != users.end();
}

std::string TokenWithBasicAuthError(const std::string& env) {
  return env +
         " cannot be combined with basic_auth_users of the web config file (--web.config.file): a request "
         "carries one Authorization header, and the basic auth now guards every path; leave " +
         env + " empty";
}

bool BasicAuth::Allows(std::string_view authorization_header) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(authorization_header.data(), authorization_header.size(), digest, &length, EVP_sha256(), nullptr);
  const std::string key(reinterpret_cast<const char*>(digest), length);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.count(key) != 0) return true;
  }
  if (!BasicAuthMatches(authorization_header, users_)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (verified_.size() >= 1024) verified_.clear();
  verified_.insert(key);
  return true;
}

bool ParseListenAddress(const std::string& text, ListenAddress* out, std::string* error) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "'" + text + "' is not host:port";
    return false;
  }
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535 || host.find_first_of("[] ") != std::string::npos) {
    *error = "'" + text + "' is not host:port (port 0-65535; [::1]:PORT for IPv6)";
    return false;
  }
  out->host = host;
  out->port = std::stoi(port);
  return true;
}

std::vector<Setting> WebSettings(const std::string& prefix, const std::string& default_port,
                                 const std::string& port_help) {
  Setting listen{"web.listen-address", prefix + "_LISTEN_ADDRESS", "",
                 "addresses to listen on, host:port ([::1]:PORT, :PORT for all); the flag may be repeated, the "
                 "variable is comma-separated; when set, replaces " +
                     prefix + "_HOST and " + prefix + "_PORT"};
  listen.repeatable = true;
  return {
      {"web.host", prefix + "_HOST", "127.0.0.1", "address to listen on (0.0.0.0 in containers)"},
      {"web.port", prefix + "_PORT", default_port, port_help},
      listen,
      {"web.telemetry-path", prefix + "_TELEMETRY_PATH", "/metrics", "path of the Prometheus metrics"},
      {"web.config.file", prefix + "_WEB_CONFIG_FILE", "",
       "web configuration file (Prometheus exporter-toolkit format): TLS and bcrypt basic auth on every path; empty = "
       "plain HTTP"},
  };
}

WebOptions WebOptionsFrom(const Config& config) {
  WebOptions web;
  std::stringstream addresses(config.GetString("web.listen-address"));
  for (std::string item; std::getline(addresses, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    ListenAddress address;
    if (std::string error; !ParseListenAddress(item, &address, &error)) {
      throw ConfigError("invalid --web.listen-address: " + error);
    }
    web.listen.push_back(address);
  }
  if (web.listen.empty()) {
    web.listen.push_back({config.GetString("web.host"), static_cast<int>(config.GetInt("web.port", 0, 65535))});
  }
  web.telemetry_path = config.GetString("web.telemetry-path");
  if (web.telemetry_path.size() < 2 || web.telemetry_path.front() != '/' ||
      web.telemetry_path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-") !=
          std::string::npos ||
      web.telemetry_path.rfind("/api", 0) == 0 || web.telemetry_path.rfind("/relay", 0) == 0 ||
      web.telemetry_path.rfind("/-/", 0) == 0) {
    throw ConfigError("invalid value '" + web.telemetry_path +
                      "' for --web.telemetry-path: expected a path such as /metrics of letters, digits, /, _, . and - "
                      "(not /, /api..., /relay... or /-/...)");
  }
  web.config_file = config.GetString("web.config.file");
  try {
    web.config = LoadWebConfig(web.config_file);
    web.tls_context = MakeTlsContext(web.config.tls);
  } catch (const ConfigError& e) {
    throw ConfigError("--web.config.file (" + web.config_file + "): " + e.what());
  }
  return web;
}

}  // namespace observer
