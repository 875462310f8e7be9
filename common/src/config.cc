// Loads and validates the settings table from flags, environment and secret files.
#include "observer/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace observer {
namespace {

std::string ReadSecretFile(const std::string& variable, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(variable + ": cannot read secret file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string value = buffer.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

}  // namespace

Config Config::Load(const std::vector<Setting>& settings, const std::vector<std::string>& args,
                    const EnvLookup& getenv) {
  Config config;
  config.settings_ = settings;
  for (const Setting& s : settings) {
    config.values_[s.flag] = s.default_value;
    config.sources_[s.flag] = "default";
    if (const char* v = getenv(s.env.c_str()); v != nullptr && *v != '\0') {
      config.values_[s.flag] = v;
      config.sources_[s.flag] = "env";
    } else if (s.secret) {
      const std::string file_variable = s.env + "_FILE";
      if (const char* path = getenv(file_variable.c_str()); path != nullptr && *path != '\0') {
        config.values_[s.flag] = ReadSecretFile(file_variable, path);
        config.sources_[s.flag] = "file";
      }
    }
  }
  for (const Setting& s : settings) {
    const std::string& value = config.values_[s.flag];
    if (!s.secret || value.empty()) continue;
    if (value.rfind(kPlaceholderSecretPrefix, 0) == 0) {
      throw ConfigError(s.env + " is still the placeholder of .env.example (" + kPlaceholderSecretPrefix +
                        "...): set a real secret");
    }
    if (value.size() < s.min_length) {
      throw ConfigError(s.env + " is shorter than " + std::to_string(s.min_length) +
                        " characters: use a long random value (e.g. openssl rand -hex 24)");
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0)
      throw ConfigError("unexpected argument '" + arg + "' (flags look like --db.host=HOST)");
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Setting* setting = nullptr;
    for (const Setting& s : settings) {
      if (s.flag == name) setting = &s;
    }
    if (setting == nullptr) throw ConfigError("unknown flag --" + name + " (see --help)");
    if (setting->secret) {
      throw ConfigError("--" + name + " is a secret and is not accepted on the command line: set " + setting->env +
                        " or " + setting->env + "_FILE in the environment");
    }
    const bool is_switch = setting->default_value == "true" || setting->default_value == "false";
    if (!has_value && is_switch && (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
      value = "true";  // a bare boolean flag such as --once
    } else if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (setting->repeatable && config.sources_[name] == "flag") {
      config.values_[name] += "," + value;
    } else {
      config.values_[name] = value;
    }
    config.sources_[name] = "flag";
  }
  return config;
}

const Setting& Config::Find(const std::string& flag) const {
  for (const Setting& s : settings_) {
    if (s.flag == flag) return s;
  }
  throw std::logic_error("setting not declared: " + flag);
}

std::string Config::Name(const std::string& flag) const { return "--" + flag + " (" + Find(flag).env + ")"; }

const std::string& Config::GetString(const std::string& flag) const {
  Find(flag);
  return values_.at(flag);
}

long long Config::GetInt(const std::string& flag, long long min, long long max) const {
  const std::string& text = GetString(flag);
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || value < min || value > max) {
    throw ConfigError("invalid value '" + text + "' for " + Name(flag) + ": expected an integer from " +
                      std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

double Config::GetDouble(const std::string& flag, double min, double max) const {
  const std::string& text = GetString(flag);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != '\0' || !std::isfinite(value) || value < min || value > max) {
    std::ostringstream message;
    message << "invalid value '" << text << "' for " << Name(flag) << ": expected a number from " << min << " to "
            << max;
    throw ConfigError(message.str());
  }
  return value;
}

bool Config::GetBool(const std::string& flag) const {
  const std::string& text = GetString(flag);
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  throw ConfigError("invalid value '" + text + "' for " + Name(flag) + ": expected true or false");
}

const std::string& Config::SourceOf(const std::string& flag) const {
  Find(flag);
  return sources_.at(flag);
}

std::map<std::string, std::string> Config::Describe() const {
  std::map<std::string, std::string> out;
  for (const Setting& s : settings_) {
    const std::string& value = values_.at(s.flag);
    out[s.flag] = s.secret ? (value.empty() ? "(unset)" : "(set)") : value;
  }
  return out;
}

std::string Config::Usage(const std::string& program, const std::string& summary,
                          const std::vector<Setting>& settings) {
  std::ostringstream out;
  out << "Usage: " << program << " [--flag=value ...]\n"
      << summary << "\n\n"
      << "Every setting is read from its environment variable and can be overridden by its flag.\n"
      << "Secrets are read only from the environment (VAR, or a file named by VAR_FILE).\n\n";
  for (const Setting& s : settings) {
    std::string left = s.secret ? std::string("(env only)") : "--" + s.flag;
    out << "  " << left;
    for (size_t pad = left.size(); pad < 34; ++pad) out << ' ';
    out << s.env;
    for (size_t pad = s.env.size(); pad < 30; ++pad) out << ' ';
    out << s.help;
    if (!s.secret) out << " (default: " << (s.default_value.empty() ? "\"\"" : s.default_value) << ")";
    out << "\n";
  }
  out << "  --help                            show this text\n"
      << "  --version                         print the version\n";
  return out.str();
}

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag) return true;
  }
  return false;
}

}  // namespace observer
