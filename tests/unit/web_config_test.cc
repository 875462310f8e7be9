// Tests for the web configuration file (exporter-toolkit format), bcrypt basic auth and the web.* settings.
#include "observer/web_config.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "fake_env.h"

namespace observer {
namespace {

// A bcrypt hash of password at the lowest cost, so the tests stay fast.
std::string Bcrypt(const std::string& password, const char* prefix = "$2y$") {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  crypt_data data{};
  EXPECT_NE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof salt), nullptr);
  return crypt_rn(password.c_str(), salt, &data, sizeof data);
}

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = -6;
  for (unsigned char c : text) {
    value = (value << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(value >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((value << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

// The message of the ConfigError that parsing text throws, or "" when it parses.
std::string ErrorOf(const std::string& text) {
  try {
    ParseWebConfig(text, "/etc/observer");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(WebConfigTest, ParsesTlsAndUsersWithPathsBesideTheFile) {
  const std::string hash = Bcrypt("secret");
  const WebConfig config = ParseWebConfig(
      "tls_server_config:\n  cert_file: tls/server.crt\n  key_file: /keys/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
      "  min_version: TLS13\nbasic_auth_users:\n  prometheus: " +
          hash + "\n",
      "/etc/observer");
  EXPECT_TRUE(config.tls.enabled());
  EXPECT_EQ(config.tls.cert_file, "/etc/observer/tls/server.crt");
  EXPECT_EQ(config.tls.key_file, "/keys/server.key");
  EXPECT_EQ(config.tls.client_ca_file, "/etc/observer/ca.pem");
  EXPECT_EQ(config.tls.client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(config.tls.min_version, "TLS13");
  ASSERT_EQ(config.users.size(), 1u);
  EXPECT_EQ(config.users.at("prometheus"), hash);
}

TEST(WebConfigTest, AnEmptyFileMeansPlainHttpWithoutAuth) {
  const WebConfig config = ParseWebConfig("", "");
  EXPECT_FALSE(config.tls.enabled());
  EXPECT_TRUE(config.users.empty());
  EXPECT_FALSE(ParseWebConfig("basic_auth_users:\n", "").tls.enabled());
}

TEST(WebConfigTest, ErrorsNameTheKey) {
  EXPECT_NE(ErrorOf("tls_config:\n  cert_file: a\n").find("unknown key tls_config"), std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n")
                .find("unknown key tls_server_config.certfile"),
            std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n")
                .find("tls_server_config.cipher_suites is not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf("http_server_config:\n  http2: false\n").find("http_server_config is not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config:\n  cert_file: a\n").find("needs both cert_file and key_file"),
            std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n")
                .find("tls_server_config.client_auth_type 'Sometimes'"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n")
          .find("needs tls_server_config.client_ca_file"),
      std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3\n")
                .find("tls_server_config.min_version 'SSL3'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("- a\n- b\n").find("must be a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("basic_auth_users: [a]\n").find("basic_auth_users must be a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("tls_server_config: {cert_file: [x], key_file: b}\n").find("tls_server_config.cert_file must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("a: [\n").find("not YAML"), std::string::npos);
}

TEST(WebConfigTest, UsersNeedBcryptHashesAndTheErrorNamesTheUserNotTheHash) {
  const std::string plain = ErrorOf("basic_auth_users:\n  alice: hunter2-plain-password\n");
  EXPECT_NE(plain.find("basic_auth_users.alice is not a bcrypt hash"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("hunter2"), std::string::npos) << plain;
  // A SHA-512 crypt hash is a real hash, but not the bcrypt the exporter-toolkit format asks for.
  EXPECT_NE(
      ErrorOf("basic_auth_users:\n  bob: $6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6"
              "WouIL9AjRbLCelDCy.g.\n")
          .find("basic_auth_users.bob is not a bcrypt hash"),
      std::string::npos);
  EXPECT_NE(ErrorOf("basic_auth_users:\n  carol: $2y$10$short\n").find("basic_auth_users.carol"), std::string::npos);
  EXPECT_NE(ErrorOf("basic_auth_users:\n  'a:b': " + Bcrypt("x") + "\n").find("without ':'"), std::string::npos);
}

TEST(WebConfigTest, BcryptVerifiesTheRightPasswordOnly) {
  for (const char* prefix : {"$2y$", "$2b$", "$2a$"}) {
    const std::string hash = Bcrypt("correct horse", prefix);
    EXPECT_TRUE(BcryptMatches("correct horse", hash)) << prefix;
    EXPECT_FALSE(BcryptMatches("correct hors", hash)) << prefix;
    EXPECT_FALSE(BcryptMatches("", hash)) << prefix;
  }
  // A published test vector of crypt_blowfish, a hash made elsewhere.
  EXPECT_TRUE(BcryptMatches("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  EXPECT_FALSE(BcryptMatches("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  EXPECT_FALSE(BcryptMatches("password", "not a hash"));
}

TEST(WebConfigTest, BasicAuthAcceptsOnlyAKnownUserWithItsPassword) {
  const std::map<std::string, std::string> users = {{"prometheus", Bcrypt("scrape-secret")}, {"ops", Bcrypt("other")}};
  EXPECT_TRUE(BasicAuthMatches("Basic " + Base64("prometheus:scrape-secret"), users));
  EXPECT_TRUE(BasicAuthMatches("Basic " + Base64("ops:other"), users));
  EXPECT_FALSE(BasicAuthMatches("Basic " + Base64("prometheus:other"), users));  // another user's password
  EXPECT_FALSE(BasicAuthMatches("Basic " + Base64("prometheus:scrape-secretX"), users));
  EXPECT_FALSE(BasicAuthMatches("Basic " + Base64("nobody:scrape-secret"), users));
  EXPECT_FALSE(BasicAuthMatches("Basic " + Base64("prometheus"), users));
  EXPECT_FALSE(BasicAuthMatches("Bearer " + Base64("prometheus:scrape-secret"), users));
  EXPECT_FALSE(BasicAuthMatches("Basic !!!", users));
  EXPECT_FALSE(BasicAuthMatches("", users));
  EXPECT_FALSE(BasicAuthMatches("Basic " + Base64("prometheus:scrape-secret"), {}));
}

TEST(WebConfigTest, BasicAuthRemembersOnlyVerifiedCredentials) {
  BasicAuth auth({{"prometheus", Bcrypt("scrape-secret")}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_FALSE(BasicAuth({}).enabled());
  const std::string right = "Basic " + Base64("prometheus:scrape-secret");
  const std::string wrong = "Basic " + Base64("prometheus:scrape-secreT");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(auth.Allows(right));
    EXPECT_FALSE(auth.Allows(wrong)) << "a refusal must never be remembered as a success";
    EXPECT_FALSE(auth.Allows(""));
  }
}

TEST(WebConfigTest, ListenAddresses) {
  ListenAddress address;
  std::string error;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:9100", &address, &error));
  EXPECT_EQ(address.host, "127.0.0.1");
  EXPECT_EQ(address.port, 9100);
  ASSERT_TRUE(ParseListenAddress("[::1]:0", &address, &error));
  EXPECT_EQ(address.host, "::1");
  EXPECT_EQ(address.port, 0);
  ASSERT_TRUE(ParseListenAddress(":8080", &address, &error));
  EXPECT_EQ(address.host, "0.0.0.0");
  for (const char* bad : {"8080", "host:", "host:http", "host:70000", "[::1:80", "a b:80"}) {
    EXPECT_FALSE(ParseListenAddress(bad, &address, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

TEST(WebConfigTest, ListenAddressFlagsRepeatAndReplaceHostAndPort) {
  const std::vector<Setting> settings = WebSettings("API", "8080", "port");
  const WebOptions defaults = WebOptionsFrom(Config::Load(settings, {}, FakeEnv({{"API_PORT", "9000"}})));
  ASSERT_EQ(defaults.listen.size(), 1u);
  EXPECT_EQ(defaults.listen[0].host, "127.0.0.1");
  EXPECT_EQ(defaults.listen[0].port, 9000);
  EXPECT_EQ(defaults.telemetry_path, "/metrics");
  EXPECT_EQ(defaults.tls_context, nullptr);

  const WebOptions flags = WebOptionsFrom(Config::Load(
      settings,
      {"--web.listen-address=127.0.0.1:9101", "--web.listen-address", "[::1]:9102", "--web.telemetry-path=/x/m.txt"},
      FakeEnv({{"API_PORT", "9000"}, {"API_LISTEN_ADDRESS", "127.0.0.1:1"}})));
  ASSERT_EQ(flags.listen.size(), 2u);  // the flags replace the variable, and the port setting
  EXPECT_EQ(flags.listen[0].port, 9101);
  EXPECT_EQ(flags.listen[1].host, "::1");
  EXPECT_EQ(flags.telemetry_path, "/x/m.txt");

  const WebOptions env =
      WebOptionsFrom(Config::Load(settings, {}, FakeEnv({{"API_LISTEN_ADDRESS", "127.0.0.1:9103, 127.0.0.2:9104"}})));
  ASSERT_EQ(env.listen.size(), 2u);
  EXPECT_EQ(env.listen[1].host, "127.0.0.2");
}

TEST(WebConfigTest, BadWebSettingsNameTheFlag) {
  const std::vector<Setting> settings = WebSettings("AGGREGATOR", "8081", "port");
  auto error_of = [&](std::vector<std::string> args) -> std::string {
    try {
      WebOptionsFrom(Config::Load(settings, args, FakeEnv({})));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of({"--web.listen-address=localhost"}).find("--web.listen-address"), std::string::npos);
  EXPECT_NE(error_of({"--web.telemetry-path=metrics"}).find("--web.telemetry-path"), std::string::npos);
  EXPECT_NE(error_of({"--web.telemetry-path=/"}).find("--web.telemetry-path"), std::string::npos);
  EXPECT_NE(error_of({"--web.telemetry-path=/api/metrics"}).find("--web.telemetry-path"), std::string::npos);
  EXPECT_NE(error_of({"--web.telemetry-path=/m(e)*"}).find("--web.telemetry-path"), std::string::npos);
  EXPECT_NE(error_of({"--web.config.file=/nonexistent/web.yml"}).find("cannot read '/nonexistent/web.yml'"),
            std::string::npos);
}

}  // namespace
}  // namespace observer
