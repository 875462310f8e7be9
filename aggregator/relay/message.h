// Rendering of an Alertmanager notification as a markdown chat message (Chinese or English), fitted to a byte
// budget: as many alerts as fit, then "and N more".
#pragma once

#include <cstddef>
#include <string>

#include "observer/time_zone.h"
#include "relay/alert.h"

namespace aggregator::relay {

enum class Language { kZh, kEn };

// The markdown dialect differences that matter between the platforms.
struct MarkdownStyle {
  bool heading = true;                   // a "### " heading line; off where the title has its own place (cards)
  std::string paragraph_break = "\n\n";  // DingTalk renders a single "\n" as a space, so paragraphs need two
};

struct RenderOptions {
  Language language = Language::kZh;  // also picks the summary_zh / description_zh annotations when present
  observer::TimeZone zone{};          // of the alert's start and end times
  std::string frontend_url;           // base of drill-down links, without a trailing slash
  std::string runbook_base_url;       // base of relative runbook links, without a trailing slash; empty = shown as text
  MarkdownStyle style;
  size_t max_bytes = 4096;  // of the markdown text, in bytes of UTF-8
};

struct Message {
  std::string title;  // one line: what a phone shows in the notification
  std::string text;   // markdown, at most max_bytes
  int alerts_shown = 0;
  int alerts_omitted = 0;  // not listed for lack of room, plus those Alertmanager left out
};

Message RenderMessage(const Notification& notification, const RenderOptions& options);

// "[告警] NewApiBurst 等 3 条" / "[FIRING:3] NewApiBurst"; "[告警恢复] ..." / "[RESOLVED] ..." when nothing fires.
// Every Chinese title carries "告警", every English one "FIRING" or "RESOLVED": DingTalk's keyword check.
std::string MessageTitle(const Notification& notification, Language language);

// Links into the chat group come from annotations, which anyone who reaches the relay can write: only links to this
// observer's UI and to the configured runbooks are forwarded, anything else is dropped (the alert itself still is).

// True for a relative path ("/anomalies?x=1", "prometheus/runbook.md"): not empty, no scheme ("https:", "javascript:"),
// not scheme-relative ("//host", or "/\host" and tab-split forms that browsers read the same way), no control
// characters or backslashes.
bool IsRelativePath(const std::string& path);

// base + "/" + path for a relative path (path as is when base is empty); "" for an empty or non-relative path.
std::string ResolveUrl(const std::string& base, const std::string& path);

// frontend_url + the alert's drilldown_path annotation; "" without one or when it is not a relative path.
std::string DrilldownUrl(const Alert& alert, const std::string& frontend_url);

// The alert's runbook_url annotation, a path in this repository ("prometheus/runbook.md#riskburst") put on
// runbook_base_url (as is, shown as text, when no base is set). An absolute URL is kept only when it lies under
// runbook_base_url (the base followed by "/", "?", "#" or nothing) and is "" otherwise.
std::string RunbookUrl(const Alert& alert, const std::string& runbook_base_url);

// "2024-05-01T12:00:00.123Z" -> "2024-05-01 12:00:00 UTC", or in another zone "2024-05-01 20:00:00 +08:00"; other
// shapes are returned unchanged.
std::string ReadableTime(const std::string& rfc3339, const observer::TimeZone& zone = observer::TimeZone());

// The annotation in the message's language: name + "_zh" in Chinese when the alert has it, else name.
std::string LocalizedAnnotation(const Alert& alert, const std::string& name, Language language);

}  // namespace aggregator::relay
