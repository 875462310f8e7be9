// Tests for the settings loader: precedence, secrets, typed validation and error messages that name the key.
#include "observer/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "fake_env.h"

namespace observer {
namespace {

const std::vector<Setting> kSettings = {
    {"db.host", "DB_HOST", "127.0.0.1", "host"},         {"db.port", "DB_PORT", "3306", "port"},
    {"db.password", "DB_PASS_RO", "", "password", true}, {"cache.ttl", "CACHE_TTL_SECONDS", "60", "ttl"},
    {"risk.sigma", "BIG_REQUEST_SIGMA", "3", "sigma"},   {"flag.on", "FLAG_ON", "false", "bool"},
};

TEST(ConfigTest, DefaultsThenEnvironmentThenFlags) {
  Config defaults = Config::Load(kSettings, {}, FakeEnv({}));
  EXPECT_EQ(defaults.GetString("db.host"), "127.0.0.1");
  EXPECT_EQ(defaults.SourceOf("db.host"), "default");

  Config from_env = Config::Load(kSettings, {}, FakeEnv({{"DB_HOST", "db.internal"}}));
  EXPECT_EQ(from_env.GetString("db.host"), "db.internal");
  EXPECT_EQ(from_env.SourceOf("db.host"), "env");

  Config from_flag = Config::Load(kSettings, {"--db.host=flag-host", "--db.port", "3307"},
                                  FakeEnv({{"DB_HOST", "db.internal"}, {"DB_PORT", "3308"}}));
  EXPECT_EQ(from_flag.GetString("db.host"), "flag-host");
  EXPECT_EQ(from_flag.GetInt("db.port", 1, 65535), 3307);
  EXPECT_EQ(from_flag.SourceOf("db.port"), "flag");
}

TEST(ConfigTest, SecretIsRejectedOnTheCommandLine) {
  try {
    Config::Load(kSettings, {"--db.password=hunter2"}, FakeEnv({}));
    FAIL() << "a secret flag was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("DB_PASS_RO"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << "the secret leaked into the message";
  }
}

TEST(ConfigTest, SecretFromEnvironmentOrFile) {
  EXPECT_EQ(Config::Load(kSettings, {}, FakeEnv({{"DB_PASS_RO", "s3cret"}})).GetString("db.password"), "s3cret");

  const std::string path = ::testing::TempDir() + "/observer_secret";
  std::ofstream(path) << "from-file\n";
  Config config = Config::Load(kSettings, {}, FakeEnv({{"DB_PASS_RO_FILE", path}}));
  EXPECT_EQ(config.GetString("db.password"), "from-file");
  EXPECT_EQ(config.SourceOf("db.password"), "file");
  std::remove(path.c_str());

  EXPECT_THROW(Config::Load(kSettings, {}, FakeEnv({{"DB_PASS_RO_FILE", "/nonexistent/secret"}})), ConfigError);
}

TEST(ConfigTest, PlaceholderAndShortSecretsAreRefusedWithoutEchoingThem) {
  const std::vector<Setting> settings = {{"db.password", "DB_PASS_RO", "", "password", true},
                                         {"api.token", "API_TOKEN", "", "token", true, 16}};
  auto error_of = [&](std::map<std::string, std::string> env) -> std::string {
    try {
      Config::Load(settings, {}, FakeEnv(std::move(env)));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string placeholder = error_of({{"DB_PASS_RO", "change-me-ro"}});
  EXPECT_NE(placeholder.find("DB_PASS_RO"), std::string::npos) << placeholder;
  EXPECT_EQ(placeholder.find("change-me-ro"), std::string::npos) << placeholder;
  const std::string short_token = error_of({{"API_TOKEN", "abc123secret"}});
  EXPECT_NE(short_token.find("API_TOKEN is shorter than 16"), std::string::npos) << short_token;
  EXPECT_EQ(short_token.find("abc123secret"), std::string::npos) << short_token;
  EXPECT_NE(error_of({{"API_TOKEN", "change-me-api-token"}}).find("API_TOKEN"), std::string::npos);
  EXPECT_EQ(error_of({{"API_TOKEN", "0123456789abcdef"}, {"DB_PASS_RO", "pw"}}), "")
      << "16 characters are enough; a password has no minimum";
  EXPECT_EQ(error_of({}), "") << "an unset secret is each binary's business";
}

TEST(ConfigTest, DescribeMasksSecrets) {
  auto described = Config::Load(kSettings, {}, FakeEnv({{"DB_PASS_RO", "s3cret"}})).Describe();
  EXPECT_EQ(described.at("db.password"), "(set)");
  EXPECT_EQ(described.at("db.host"), "127.0.0.1");
}

TEST(ConfigTest, BadValuesNameTheFlagAndVariable) {
  Config config =
      Config::Load(kSettings, {}, FakeEnv({{"DB_PORT", "80x"}, {"BIG_REQUEST_SIGMA", "nan"}, {"FLAG_ON", "maybe"}}));
  try {
    config.GetInt("db.port", 1, 65535);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--db.port (DB_PORT)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("80x"), std::string::npos) << e.what();
  }
  EXPECT_THROW(config.GetDouble("risk.sigma", 0.5, 100), ConfigError);
  EXPECT_THROW(config.GetBool("flag.on"), ConfigError);

  Config out_of_range = Config::Load(kSettings, {"--db.port=70000"}, FakeEnv({}));
  EXPECT_THROW(out_of_range.GetInt("db.port", 1, 65535), ConfigError);
}

TEST(ConfigTest, BareBooleanFlagMeansTrue) {
  EXPECT_TRUE(Config::Load(kSettings, {"--flag.on"}, FakeEnv({})).GetBool("flag.on"));
  EXPECT_TRUE(Config::Load(kSettings, {"--flag.on", "--db.port=1"}, FakeEnv({})).GetBool("flag.on"));
  EXPECT_FALSE(Config::Load(kSettings, {"--flag.on=false"}, FakeEnv({})).GetBool("flag.on"));
}

TEST(ConfigTest, UnknownFlagsAndMissingValuesAreErrors) {
  EXPECT_THROW(Config::Load(kSettings, {"--db.hots=x"}, FakeEnv({})), ConfigError);
  EXPECT_THROW(Config::Load(kSettings, {"--db.host"}, FakeEnv({})), ConfigError);
  EXPECT_THROW(Config::Load(kSettings, {"positional"}, FakeEnv({})), ConfigError);
}

TEST(ConfigTest, UsageListsEverySettingButNoSecretFlag) {
  const std::string usage = Config::Usage("prog", "summary", kSettings);
  for (const Setting& s : kSettings) EXPECT_NE(usage.find(s.env), std::string::npos) << s.env;
  EXPECT_EQ(usage.find("--db.password"), std::string::npos);
}

}  // namespace
}  // namespace observer
