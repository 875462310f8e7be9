// Configuration: a table of settings read from the environment and overridden by
// dotted kebab-case flags; secrets only from the environment or a *_FILE path. Errors name the key.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace observer {

struct Setting {
  std::string flag;           // dotted kebab-case, e.g. "db.host" (used as --db.host=VALUE)
  std::string env;            // environment variable, e.g. "DB_HOST"
  std::string default_value;  // used when neither the flag nor the variable is set
  std::string help;
  bool secret = false;      // never accepted on the command line; also read from the file named by <env>_FILE
  size_t min_length = 0;    // a secret set shorter than this is refused (bearer tokens: 16)
  bool repeatable = false;  // the flag may be given more than once: its values are joined with commas
};

// Values of .env.example that must be replaced: a secret starting with this is refused at start-up.
inline constexpr const char* kPlaceholderSecretPrefix = "change-me";

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using EnvLookup = std::function<const char*(const char*)>;

class Config {
 public:
  // Precedence: flag > environment > default. Throws ConfigError for unknown flags, a secret given as a flag,
  // a missing flag value, an unreadable secret file, or a secret that is still a placeholder (change-me...) or
  // shorter than its min_length; the message names the variable, never the value.
  static Config Load(const std::vector<Setting>& settings, const std::vector<std::string>& args,
                     const EnvLookup& getenv);

  // Typed getters throw ConfigError naming both the flag and the variable when the value does not parse or is
  // out of range.
  const std::string& GetString(const std::string& flag) const;
  long long GetInt(const std::string& flag, long long min, long long max) const;
  double GetDouble(const std::string& flag, double min, double max) const;
  bool GetBool(const std::string& flag) const;

  // Where the value came from: "flag", "env", "file" or "default".
  const std::string& SourceOf(const std::string& flag) const;
  // Every setting with its effective value, secrets masked; for the start-up log line.
  std::map<std::string, std::string> Describe() const;

  // The --help text listing every setting.
  static std::string Usage(const std::string& program, const std::string& summary,
                           const std::vector<Setting>& settings);

 private:
  const Setting& Find(const std::string& flag) const;
  std::string Name(const std::string& flag) const;

  std::vector<Setting> settings_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
};

// True when args contains exactly this flag (e.g. "--help").
bool HasFlag(const std::vector<std::string>& args, const std::string& flag);

}  // namespace observer
