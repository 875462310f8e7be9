// The chat targets file (CHAT_TARGETS_FILE): named robots per platform with their URL, secret and @-mentions, as
// prometheus-webhook-dingtalk's `targets:` has them. Alertmanager posts to /relay/<name>.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/alert.h"

namespace aggregator::relay {

// Whom a target's messages @-mention. Only ever from the targets file: never from alert labels or annotations,
// which carry names users choose.
struct Mentions {
  bool all = false;                   // DingTalk isAtAll, Feishu <at id=all>, WeCom mentioned_list "@all"
  std::vector<std::string> mobiles;   // DingTalk atMobiles, WeCom mentioned_mobile_list
  std::vector<std::string> user_ids;  // DingTalk atUserIds, Feishu open_id (<at id=ou_...>), WeCom userid
  std::vector<std::string> severities = {"critical"};  // mention only while an alert of these severities fires

  bool empty() const { return !all && mobiles.empty() && user_ids.empty(); }
};

// Where one target sends: the robot's webhook URL and, for signed robots, its secret (both secrets), the
// platform (dingtalk, feishu, wecom, webhook; empty = the target's name, as for the environment's robots) and whom
// to mention.
struct Target {
  std::string url;
  std::string secret;
  std::string platform;
  Mentions mentions;
};

// True when the notification has a firing alert whose severity label is one of mentions.severities (and there is
// somebody to mention): a resolved message never pings anybody.
bool MentionsApply(const Notification& notification, const Mentions& mentions);

// Reads a file named in the targets file (url_file, secret_file): its content without the trailing line break, or
// nothing when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
FileReader ReadFromDisk();

// Parses a targets file into *targets (by name); returns "" or an error naming the key ("targets.oncall.url: ..."),
// never a URL or secret, leaving *targets unchanged. Unknown keys are errors (a typo must not silently drop a
// mention). Relative *_file paths are resolved against base_dir.
std::string ParseTargetsYaml(std::string_view yaml, const std::string& base_dir, const FileReader& read_file,
                             std::map<std::string, Target>* targets);

// The platforms a target may name.
bool IsPlatformName(const std::string& name);

}  // namespace aggregator::relay
