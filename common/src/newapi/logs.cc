// Conversion of `logs` result rows and tolerant parsing of the `other` JSON column.
#include "observer/newapi/logs.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace observer::newapi {
namespace {

int64_t ToInt(const std::optional<std::string>& value) {
  if (!value || value->empty()) return 0;
  int64_t out = 0;
  std::from_chars(value->data(), value->data() + value->size(), out);
  return out;
}

std::string ToString(const std::optional<std::string>& value) { return value ? *value : std::string(); }

// A JSON number, or a string holding one (some versions write numbers as strings); nullopt otherwise.
std::optional<double> NumberOf(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    double out = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (error == std::errc() && end == text.data() + text.size()) return out;
  }
  return std::nullopt;
}

}  // namespace

void ParseOther(std::string_view other, LogRow* row) {
  row->frt_ms.reset();
  row->cache_tokens = 0;
  row->other_valid = true;
  if (other.empty()) return;
  nlohmann::json parsed = nlohmann::json::parse(other.begin(), other.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    row->other_valid = false;
    return;
  }
  if (auto it = parsed.find("frt"); it != parsed.end()) {
    if (auto frt = NumberOf(*it); frt && *frt > 0) row->frt_ms = *frt;
  }
  if (auto it = parsed.find("cache_tokens"); it != parsed.end()) {
    if (auto cached = NumberOf(*it); cached && *cached > 0) row->cache_tokens = static_cast<int64_t>(*cached);
  }
}

LogRow LogRowFromDb(const DbRow& r) {
  LogRow row;
  row.id = ToInt(r[0]);
  row.user_id = ToInt(r[1]);
  row.created_at = ToInt(r[2]);
  row.type = ToInt(r[3]);
  row.username = ToString(r[4]);
  row.token_name = ToString(r[5]);
  row.model_name = ToString(r[6]);
  row.quota = ToInt(r[7]);
  row.prompt_tokens = ToInt(r[8]);
  row.completion_tokens = ToInt(r[9]);
  row.use_time = ToInt(r[10]);
  row.is_stream = ToInt(r[11]) != 0;
  row.channel_id = ToInt(r[12]);
  row.token_id = ToInt(r[13]);
  row.group = ToString(r[14]);
  row.ip = ToString(r[15]);
  if (r[16]) ParseOther(*r[16], &row);
  return row;
}

}  // namespace observer::newapi
