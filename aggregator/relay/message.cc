// Chat message rendering: one block per alert (firing first), the evidence from summary/description, subject
// labels, drill-down and runbook links; blocks are added while they fit the platform's byte budget.
#include "relay/message.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "relay/text.h"

namespace aggregator::relay {
namespace {

struct Words {
  const char* firing;
  const char* resolved;
  const char* counts;  // "%d firing, %d resolved" in order
  const char* more;    // "and %d more"
  const char* subject;
  const char* rule;
  const char* labels;
  const char* started;
  const char* ended;
  const char* details;
  const char* runbook;
  const char* critical;
  const char* warning;
  const char* info;
};

constexpr Words kZh{"告警",
                    "已恢复",
                    "告警 %d 条，已恢复 %d 条",
                    "另有 %d 条未列出",
                    "对象",
                    "规则",
                    "标签",
                    "开始",
                    "恢复",
                    "查看详情",
                    "处理手册",
                    "严重",
                    "警告",
                    "提示"};
constexpr Words kEn{"FIRING",
                    "RESOLVED",
                    "%d firing, %d resolved",
                    "and %d more not listed",
                    "Subject",
                    "Rule",
                    "Labels",
                    "Started",
                    "Resolved",
                    "Details",
                    "Runbook",
                    "critical",
                    "warning",
                    "info"};

const Words& WordsFor(Language language) { return language == Language::kZh ? kZh : kEn; }

std::string Format(const char* pattern, int a, int b = 0) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return buffer;
}

std::string Inline(const std::string& value) { return NeutralizeMarkup(value, /*keep_newlines=*/false); }

std::string SeverityName(const std::string& severity, const Words& words) {
  if (severity == "critical") return words.critical;
  if (severity == "warning") return words.warning;
  if (severity == "info") return words.info;
  return Inline(severity);
}

bool IsHttpUrl(const std::string& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

// Percent-encodes what would end a markdown link early or is not printable ASCII, so the link stays one link.
std::string LinkSafe(const std::string& url) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : url) {
    const bool breaks_link = c <= 0x20 || c >= 0x7F || c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
                             c == ']' || c == '"' || c == '\\';
    if (breaks_link) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string AlertName(const Notification& notification) {
  for (const LabelSet* set : {&notification.group_labels, &notification.common_labels}) {
    if (auto it = set->find("alertname"); it != set->end()) return it->second;
  }
  return notification.alerts.empty() ? std::string("alert") : notification.alerts.front().Label("alertname");
}

// "token 42 (alice-key)": the subject labels the risk alerts carry.
std::string SubjectText(const Alert& alert) {
  std::string text = Inline(alert.Label("subject_type"));
  const std::string id = alert.Label("subject_id");
  if (!id.empty()) text += (text.empty() ? "" : " ") + Inline(id);
  const std::string name = alert.Label("subject_name");
  if (!name.empty()) text += " (" + Inline(name) + ")";
  return text;
}

// Labels that say where an operations alert comes from (channel, model, instance, ...); the ones shown elsewhere
// and Prometheus' own bookkeeping are left out.
std::string OtherLabelsText(const Alert& alert) {
  static const std::vector<std::string> kShownElsewhere = {"alertname",  "severity",     "rule", "subject_type",
                                                           "subject_id", "subject_name", "job",  "prometheus"};
  constexpr int kMaxLabels = 6;
  std::string text;
  int count = 0;
  for (const auto& [name, value] : alert.labels) {
    if (std::find(kShownElsewhere.begin(), kShownElsewhere.end(), name) != kShownElsewhere.end()) continue;
    if (count++ == kMaxLabels) break;
    text += (text.empty() ? "" : ", ") + Inline(name) + "=" + Inline(value);
  }
  return text;
}

std::string AlertBlock(const Alert& alert, const RenderOptions& options) {
  const Words& words = WordsFor(options.language);
  const std::string& br = options.style.paragraph_break;
  std::string block = "**" + std::string(alert.resolved() ? "✅ " : "🔥 ") +
                      (alert.resolved() ? std::string(words.resolved) + " " : "") + Inline(alert.Label("alertname")) +
                      "**";
  const std::string severity = alert.Label("severity");
  if (!severity.empty()) block += " · " + SeverityName(severity, words);
  block += br;
  const std::string summary = LocalizedAnnotation(alert, "summary", options.language);
  if (!summary.empty()) block += Inline(summary) + br;
  const std::string description = LocalizedAnnotation(alert, "description", options.language);
  if (!description.empty()) {
    // Line breaks inside the description become paragraph breaks so they survive every platform's renderer.
    std::string text = NeutralizeMarkup(description, /*keep_newlines=*/true);
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + br.size())) {
      text.replace(at, 1, br);
    }
    block += text + br;
  }
  std::string who;  // "对象: token 42 (name) · 规则: burst" on one line: short messages read better on a phone
  const std::string subject = SubjectText(alert);
  if (!subject.empty()) who = std::string(words.subject) + ": " + subject;
  const std::string rule = alert.Label("rule");
  if (!rule.empty()) who += (who.empty() ? "" : " · ") + std::string(words.rule) + ": " + Inline(rule);
  if (!who.empty()) block += who + br;
  const std::string others = OtherLabelsText(alert);
  if (!others.empty()) block += std::string(words.labels) + ": " + others + br;
  block += std::string(words.started) + ": " + Inline(ReadableTime(alert.starts_at, options.zone));
  if (alert.resolved())
    block += " · " + std::string(words.ended) + ": " + Inline(ReadableTime(alert.ends_at, options.zone));
  block += br;
  std::vector<std::string> links;
  const std::string drilldown = DrilldownUrl(alert, options.frontend_url);
  if (!drilldown.empty()) links.push_back("[" + std::string(words.details) + "](" + LinkSafe(drilldown) + ")");
  const std::string runbook = RunbookUrl(alert, options.runbook_base_url);
  if (IsHttpUrl(runbook)) {
    links.push_back("[" + std::string(words.runbook) + "](" + LinkSafe(runbook) + ")");
  } else if (!runbook.empty()) {
    links.push_back(std::string(words.runbook) + ": " + Inline(runbook));  // a path in the repository: not a link
  }
  for (size_t i = 0; i < links.size(); ++i) block += (i == 0 ? "" : " | ") + links[i];
  if (!links.empty()) block += br;
  // A blank line between alerts where a single line break is a line break (a no-op where it is a space).
  return block + "\n";
}

}  // namespace

std::string MessageTitle(const Notification& notification, Language language) {
  const Words& words = WordsFor(language);
  const int firing = notification.firing_count();
  const int total = static_cast<int>(notification.alerts.size()) + notification.truncated_alerts;
  const std::string name = Inline(AlertName(notification));
  if (language == Language::kZh) {
    // "告警" in both: the keyword a DingTalk robot with the keyword check is given (README, "The chat relay").
    return std::string(firing > 0 ? "[告警] " : "[告警恢复] ") + name +
           (total > 1 ? " 等 " + std::to_string(total) + " 条" : "");
  }
  const int shown = firing > 0 ? firing : total;
  return "[" + std::string(firing > 0 ? words.firing : words.resolved) +
         (shown > 1 ? ":" + std::to_string(shown) : "") + "] " + name;
}

bool IsRelativePath(const std::string& path) {
  if (path.empty() || path.rfind("//", 0) == 0) return false;
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7F || c == '\\') return false;
  }
  // A colon before the first "/", "?" or "#" ends a scheme (RFC 3986 section 4.2).
  const size_t colon = path.find(':');
  return colon == std::string::npos || colon > path.find_first_of("/?#");
}

std::string ResolveUrl(const std::string& base, const std::string& path) {
  if (!IsRelativePath(path)) return "";
  if (base.empty()) return path;
  return base + (path.front() == '/' ? "" : "/") + path;
}

std::string DrilldownUrl(const Alert& alert, const std::string& frontend_url) {
  return ResolveUrl(frontend_url, alert.Annotation("drilldown_path"));
}

std::string RunbookUrl(const Alert& alert, const std::string& runbook_base_url) {
  const std::string runbook = alert.Annotation("runbook_url");
  if (IsRelativePath(runbook)) return ResolveUrl(runbook_base_url, runbook);
  const size_t end = runbook_base_url.size();
  const bool under_base =
      !runbook_base_url.empty() && runbook.compare(0, end, runbook_base_url) == 0 &&
      (runbook.size() == end || std::string_view("/?#").find(runbook[end]) != std::string_view::npos);
  return under_base ? runbook : "";
}

std::string ReadableTime(const std::string& rfc3339, const observer::TimeZone& zone) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  if (rfc3339.size() < 20 || rfc3339[4] != '-' || rfc3339[7] != '-' || rfc3339[10] != 'T' || rfc3339[13] != ':' ||
      rfc3339[16] != ':') {
    return rfc3339;
  }
  std::string suffix = rfc3339.substr(19);
  if (!suffix.empty() && suffix.front() == '.')
    suffix = suffix.substr(std::min(suffix.find_first_of("Z+-"), suffix.size()));
  int32_t offset = 0;
  if (suffix != "Z") {
    if (suffix.size() != 6 || (suffix[0] != '+' && suffix[0] != '-') || suffix[3] != ':') return rfc3339;
    const int hours = std::atoi(suffix.substr(1, 2).c_str()), minutes = std::atoi(suffix.substr(4, 2).c_str());
    offset = (suffix[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  auto number = [&rfc3339](size_t at, size_t length) { return std::atoll(rfc3339.substr(at, length).c_str()); };
  const int64_t t =
      observer::DaysFromCivil(number(0, 4), static_cast<unsigned>(number(5, 2)), static_cast<unsigned>(number(8, 2))) *
          86400 +
      number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2) - offset;
  const int32_t local_offset = zone.OffsetAt(t);
  const std::string iso = observer::LocalIso(zone, t);  // 2024-05-01T20:00:00+08:00
  return iso.substr(0, 10) + " " + iso.substr(11, 8) + " " +
         (local_offset == 0 ? "UTC" : observer::OffsetText(local_offset));
}

std::string LocalizedAnnotation(const Alert& alert, const std::string& name, Language language) {
  if (language == Language::kZh) {
    if (std::string text = alert.Annotation(name + "_zh"); !text.empty()) return text;
  }
  return alert.Annotation(name);
}

Message RenderMessage(const Notification& notification, const RenderOptions& options) {
  const Words& words = WordsFor(options.language);
  const std::string& br = options.style.paragraph_break;
  Message message;
  message.title = MessageTitle(notification, options.language);

  std::string text;
  if (options.style.heading) text += "### " + message.title + br;
  const int firing = notification.firing_count();
  const int resolved = notification.resolved_count();
  if (firing > 0 && resolved > 0) text += Format(words.counts, firing, resolved) + br;

  // Firing alerts first: they are what the reader must act on.
  std::vector<const Alert*> ordered;
  for (const Alert& alert : notification.alerts)
    if (!alert.resolved()) ordered.push_back(&alert);
  for (const Alert& alert : notification.alerts)
    if (alert.resolved()) ordered.push_back(&alert);

  const int total = static_cast<int>(ordered.size()) + notification.truncated_alerts;
  auto footer = [&](int omitted) { return omitted > 0 ? Format(words.more, omitted) : std::string(); };
  for (const Alert* alert : ordered) {
    const std::string block = AlertBlock(*alert, options);
    const std::string footer_after = footer(total - message.alerts_shown - 1);
    if (text.size() + block.size() + footer_after.size() <= options.max_bytes) {
      text += block;
      ++message.alerts_shown;
      continue;
    }
    if (message.alerts_shown == 0) {
      // Not even one alert fits whole: show the start of the first rather than nothing but a count.
      const size_t room =
          options.max_bytes - std::min(options.max_bytes, text.size() + footer_after.size() + br.size() + 3);
      text += std::string(TruncateUtf8(block, room)) + "…" + br;
      ++message.alerts_shown;
    }
    break;
  }
  message.alerts_omitted = total - message.alerts_shown;
  text += footer(message.alerts_omitted);
  // The last guard: a title longer than the whole budget still yields a valid message within it.
  message.text = std::string(TruncateUtf8(text, options.max_bytes));
  return message;
}

}  // namespace aggregator::relay
