// The chat platforms' request signatures (HMAC-SHA256 via OpenSSL) and the encodings they need.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "observer/http_server.h"

namespace aggregator::relay {

// Raw 32-byte HMAC-SHA256 of message under key.
std::string HmacSha256(std::string_view key, std::string_view message);
// Standard base64 with padding.
std::string Base64(std::string_view bytes);
// Percent-encoding of query parameter values: the one in common/.
using observer::UrlEncode;

// DingTalk custom robot: base64(HMAC-SHA256(key = secret, message = timestamp_ms + "\n" + secret)), not yet
// URL-encoded. DingTalk rejects timestamps more than an hour from its clock (errcode 310000).
std::string DingTalkSign(std::string_view secret, int64_t timestamp_ms);

// Feishu custom bot: base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, message = "")). Sent in the JSON body
// with the timestamp; Feishu rejects timestamps more than an hour off (code 19021).
std::string FeishuSign(std::string_view secret, int64_t timestamp_s);

}  // namespace aggregator::relay
