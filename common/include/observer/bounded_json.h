// Parsing of untrusted JSON (request bodies, cached answers, log rows' `other`) with a bound on nesting.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace observer {

// The JSON value in text, or nothing with *error saying why: not valid JSON (invalid UTF-8 included), or arrays and
// objects nested deeper than max_depth (a top-level array or object is depth 1). The depth is checked on the text
// before nlohmann builds a tree, because its dump(), copies and comparisons recurse once per level: 100,000 levels
// overflow the stack.
std::optional<nlohmann::json> ParseJsonBounded(std::string_view text, int max_depth, std::string* error);

}  // namespace observer
