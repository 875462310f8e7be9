// Parsing of the chat targets file and the rule for when a message @-mentions.
#include "relay/targets.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "relay/http_post.h"

namespace aggregator::relay {
namespace {

struct BadKey {
  std::string message;
};

std::string Scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) throw BadKey{path + ": expected a string"};
  return node.Scalar();
}

bool Bool(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) throw BadKey{path + ": expected true or false"};
  const std::string& value = node.Scalar();
  if (value == "true") return true;
  if (value == "false") return false;
  throw BadKey{path + ": expected true or false, got '" + value + "'"};
}

// Characters that can only be part of the value itself: mentions are placed inside platform markup (<at id=...>),
// so anything that could close or open markup is refused.
bool AllOf(const std::string& value, std::string_view extra) {
  return !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [extra](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           extra.find(c) != std::string_view::npos;
  });
}

std::vector<std::string> List(const YAML::Node& node, const std::string& path, std::string_view extra,
                              const char* expected) {
  if (!node.IsSequence()) throw BadKey{path + ": expected a list of " + expected};
  std::vector<std::string> values;
  for (const auto& item : node) {
    const std::string value = Scalar(item, path);
    if (!AllOf(value, extra)) throw BadKey{path + ": '" + value + "' is not " + expected};
    values.push_back(value);
  }
  return values;
}

void ForEachKey(const YAML::Node& node, const std::string& path, const std::set<std::string>& known,
                const std::function<void(const std::string& key, const YAML::Node& value)>& on_key) {
  if (!node.IsMap()) throw BadKey{path + ": expected a mapping"};
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (known.count(key) == 0) throw BadKey{path + "." + key + ": unknown key"};
    on_key(key, item.second);
  }
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

Mentions ParseMentions(const YAML::Node& node, const std::string& path, const std::string& platform) {
  Mentions mentions;
  ForEachKey(node, path, {"all", "mobiles", "user_ids", "severities"},
             [&](const std::string& key, const YAML::Node& value) {
               const std::string key_path = path + "." + key;
               if (key == "all") mentions.all = Bool(value, key_path);
               if (key == "mobiles") mentions.mobiles = List(value, key_path, "+-", "a mobile number");
               if (key == "user_ids") mentions.user_ids = List(value, key_path, "_-.@", "a user id");
               if (key == "severities") mentions.severities = List(value, key_path, "_-", "a severity");
             });
  if (platform == "feishu" && !mentions.mobiles.empty()) {
    throw BadKey{path + ".mobiles: Feishu bots mention by user_ids (open_id, ou_...), not by mobile number"};
  }
  return mentions;
}

Target ParseTarget(const YAML::Node& node, const std::string& path, const std::string& base_dir,
                   const FileReader& read_file) {
  Target target;
  std::string url_file, secret_file;
  bool has_url = false, has_secret = false;
  ForEachKey(node, path, {"platform", "url", "url_file", "secret", "secret_file", "mention"},
             [&](const std::string& key, const YAML::Node& value) {
               const std::string key_path = path + "." + key;
               if (key == "platform") target.platform = Scalar(value, key_path);
               if (key == "url") {
                 target.url = Scalar(value, key_path);
                 has_url = true;
               }
               if (key == "url_file") url_file = Scalar(value, key_path);
               if (key == "secret") {
                 target.secret = Scalar(value, key_path);
                 has_secret = true;
               }
               if (key == "secret_file") secret_file = Scalar(value, key_path);
             });
  if (target.platform.empty()) throw BadKey{path + ".platform: missing (dingtalk, feishu, wecom or webhook)"};
  if (!IsPlatformName(target.platform)) {
    throw BadKey{path + ".platform: expected dingtalk, feishu, wecom or webhook, got '" + target.platform + "'"};
  }
  if (has_url == !url_file.empty()) throw BadKey{path + ": give exactly one of url and url_file"};
  if (has_secret && !secret_file.empty()) throw BadKey{path + ": give at most one of secret and secret_file"};
  // The messages name the key and file only: the contents are credentials.
  if (!url_file.empty()) {
    std::optional<std::string> url = read_file(Resolve(base_dir, url_file));
    if (!url) throw BadKey{path + ".url_file: cannot read " + url_file};
    target.url = *url;
  }
  if (!secret_file.empty()) {
    std::optional<std::string> secret = read_file(Resolve(base_dir, secret_file));
    if (!secret) throw BadKey{path + ".secret_file: cannot read " + secret_file};
    target.secret = *secret;
  }
  const std::string url_key = path + (url_file.empty() ? ".url" : ".url_file");
  if (!ParseUrl(target.url))
    throw BadKey{url_key + ": expected an http:// or https:// URL without user info or fragment"};
  if (!target.secret.empty() && target.platform != "dingtalk" && target.platform != "feishu") {
    throw BadKey{path + ": " + target.platform + " robots are not signed; remove the secret"};
  }
  if (node["mention"]) target.mentions = ParseMentions(node["mention"], path + ".mention", target.platform);
  return target;
}

}  // namespace

bool IsPlatformName(const std::string& name) {
  return name == "dingtalk" || name == "feishu" || name == "wecom" || name == "webhook";
}

bool MentionsApply(const Notification& notification, const Mentions& mentions) {
  if (mentions.empty()) return false;
  return std::any_of(notification.alerts.begin(), notification.alerts.end(), [&](const Alert& alert) {
    const std::string severity = alert.Label("severity");
    return !alert.resolved() &&
           std::find(mentions.severities.begin(), mentions.severities.end(), severity) != mentions.severities.end();
  });
}

FileReader ReadFromDisk() {
  return [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  };
}

std::string ParseTargetsYaml(std::string_view yaml, const std::string& base_dir, const FileReader& read_file,
                             std::map<std::string, Target>* targets) {
  std::map<std::string, Target> next;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) {
      *targets = {};
      return "";  // an empty file: no named targets
    }
    ForEachKey(root, "the document", {"targets"}, [&](const std::string&, const YAML::Node& list) {
      if (list.IsNull()) return;
      if (!list.IsMap()) throw BadKey{"targets: expected a mapping of target names"};
      for (const auto& item : list) {
        const std::string name = item.first.as<std::string>();
        const std::string path = "targets." + name;
        if (!AllOf(name, "_-"))
          throw BadKey{path + ": a name is 1-64 letters, digits, '_' or '-' (it is the path /relay/<name>)"};
        next[name] = ParseTarget(item.second, path, base_dir, read_file);
      }
    });
  } catch (const BadKey& e) {
    return e.message;
  } catch (const YAML::Exception& e) {
    return std::string("not valid YAML: ") + e.what();
  }
  *targets = std::move(next);
  return "";
}

}  // namespace aggregator::relay
