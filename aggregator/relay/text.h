// Text helpers for chat messages: UTF-8-safe truncation and neutralising markup in values that come from data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aggregator::relay {

// The longest prefix of text that is at most max_bytes long and does not end inside a multi-byte UTF-8 character.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// A label or annotation value made safe to place inside chat markdown. Values can carry names that users choose
// (a token named "<at id=all></at>" or "[click](http://...)" must not ping everybody or become a link), so angle
// and square brackets become their full-width forms; control characters become spaces. With keep_newlines false,
// line breaks become spaces too (for one-line fields).
std::string NeutralizeMarkup(std::string_view value, bool keep_newlines);

// text with every occurrence of each non-empty secret replaced by "<redacted>"; for error text that could echo a
// URL or token back.
std::string Redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace aggregator::relay
