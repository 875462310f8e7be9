// UTF-8 truncation, markup neutralising and redaction.
#include "relay/text.h"

namespace aggregator::relay {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes to the lead byte of the character that would be cut, and cut before it.
  while (end > 0 && IsContinuationByte(static_cast<unsigned char>(text[end]))) --end;
  return text.substr(0, end);
}

std::string NeutralizeMarkup(std::string_view value, bool keep_newlines) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '<': out += "\uFF1C"; break;  // ＜
      case '>': out += "\uFF1E"; break;  // ＞
      case '[': out += "\uFF3B"; break;  // ［
      case ']': out += "\uFF3D"; break;  // ］
      case '\n': out += keep_newlines ? '\n' : ' '; break;
      default: out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    }
  }
  return out;
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  static constexpr std::string_view kMark = "<redacted>";
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), kMark);
      at += kMark.size();
    }
  }
  return text;
}

}  // namespace aggregator::relay
