// TSV / SQL escaping and number formatting.
#include "text_format.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace sim {

void AppendTsvField(std::string* out, std::optional<std::string_view> value) {
  if (!value) {
    out->append("\\N");
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\0': out->append("\\0"); break;
      default: out->push_back(c);
    }
  }
}

void AppendTsvInt(std::string* out, int64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, result.ptr);
}

std::string SqlQuote(const observer::Dialect& dialect, std::string_view value) {
  if (dialect.engine() == observer::DbEngine::kPostgres) return dialect.TextLiteral(value);
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '\'': out.append("\\'"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\0': out.append("\\0"); break;
      case '\x1a': out.append("\\Z"); break;
      default: out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "0";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(static_cast<int64_t>(value));
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string JsonString(std::string_view value) { return nlohmann::json(std::string(value)).dump(); }

}  // namespace sim
