// The interface every chat platform implements (one file each), the shared classification of replies, and the
// table of platforms with the settings that configure them.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "relay/alert.h"
#include "relay/http_post.h"
#include "relay/message.h"
#include "relay/rate_limiter.h"
#include "relay/targets.h"

namespace aggregator::relay {

// What Alertmanager should be told: delivered (2xx), try again (5xx: it retries), or give up (4xx).
enum class Outcome { kDelivered, kTransient, kPermanent };

struct Verdict {
  Outcome outcome = Outcome::kTransient;
  std::string reason;  // for logs and the answer to Alertmanager; never contains the target URL
};

// What the relay settings say about messages, whatever the platform.
struct MessageSettings {
  Language language = Language::kZh;
  std::string frontend_url;
  std::string runbook_base_url;  // empty: runbook paths are shown as text
  observer::TimeZone zone{};     // TIMEZONE: of the times in messages
};

// What RenderMessage needs: the settings, with a platform's markdown dialect and text budget.
RenderOptions RenderOptionsFor(const MessageSettings& settings, MarkdownStyle style, size_t max_bytes);

struct OutgoingRequest {
  std::string url;   // the target URL plus any signature parameters
  std::string body;  // JSON
  int alerts_shown = 0;
  int alerts_omitted = 0;
  // A second message to the same URL after the first is delivered (WeCom: mobiles and @all can be mentioned only
  // in a text message, not in markdown); empty = none.
  std::string follow_up_body;
};

class Platform {
 public:
  virtual ~Platform() = default;
  // "dingtalk": the route /relay/<name> and the metrics' platform label.
  virtual std::string name() const = 0;
  // The platform's documented send limits per robot; empty = none.
  virtual std::vector<RateLimit> rate_limits() const = 0;
  // The signed request for this notification; now_ms is the signature's timestamp. It @-mentions target.mentions
  // when MentionsApply.
  virtual OutgoingRequest Build(const Notification& notification, const Target& target, const MessageSettings& settings,
                                int64_t now_ms) const = 0;
  virtual Verdict Classify(const HttpReply& reply) const = 0;
};

// The verdict from the HTTP exchange alone: no answer, 3xx (DingTalk redirects a throttled robot), 429 and 5xx
// are transient; other 4xx permanent; 2xx delivered.
Verdict ClassifyHttp(const HttpReply& reply);

// For chat platforms that answer errors inside JSON: the first of code_fields present is the result code, 0 is
// success; transient_codes are rate limits and busy signals worth retrying (checked on 4xx bodies too, where some
// platforms put their rate-limit code); any other non-zero code is permanent. A 2xx body without a code is
// transient: delivery is unknown.
Verdict ClassifyCodeReply(const HttpReply& reply, std::initializer_list<const char*> code_fields,
                          const char* message_field, std::initializer_list<long long> transient_codes);

// Builds the request with the message text budget first given, and again with a smaller budget while the body
// exceeds max_body_bytes (JSON escaping can grow the text), so the body always fits the platform's limit.
OutgoingRequest FitBody(size_t max_body_bytes, size_t text_budget,
                        const std::function<OutgoingRequest(size_t text_budget)>& build);

// target_url with extra query parameters ("a=1&b=2") appended after '?' or '&'.
std::string WithQuery(const std::string& target_url, const std::string& parameters);

// One platform as the relay knows it: its settings and how to make it.
struct PlatformSpec {
  std::string name;
  std::string title;  // for --help: "DingTalk robot"
  std::string url_flag, url_env;
  std::string secret_flag, secret_env;  // empty for platforms without signing
  std::function<std::unique_ptr<Platform>()> make;
};

// DingTalk, Feishu, WeCom and the generic webhook.
const std::vector<PlatformSpec>& Platforms();

std::unique_ptr<Platform> MakeDingTalk();
std::unique_ptr<Platform> MakeFeishu();
std::unique_ptr<Platform> MakeWeCom();
std::unique_ptr<Platform> MakeWebhook();

}  // namespace aggregator::relay
