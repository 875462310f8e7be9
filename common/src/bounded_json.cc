// The nesting pre-scan in front of nlohmann's parser.
#include "observer/bounded_json.h"

namespace observer {
namespace {

// True when no array or object in text opens deeper than max_depth. Exact on valid JSON; on invalid JSON nlohmann
// stops at the first bad token, and what it has built by then is a valid prefix, which this scan measured exactly.
bool WithinDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<nlohmann::json> ParseJsonBounded(std::string_view text, int max_depth, std::string* error) {
  if (!WithinDepth(text, max_depth)) {
    *error = "JSON nested deeper than " + std::to_string(max_depth) + " levels";
    return std::nullopt;
  }
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    *error = "not valid JSON";
    return std::nullopt;
  }
  return value;
}

}  // namespace observer
