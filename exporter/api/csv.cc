// JSON answers to CSV text.
#include "api/csv.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace exporter::api {
namespace {

void AppendRow(const std::vector<std::string>& fields, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) *out += ',';
    *out += fields[i];
  }
  *out += "\r\n";
}

// Whether value nests deeper than max_depth levels, found without recursion (dump() recurses once per level).
bool NestsDeeperThan(const nlohmann::json& value, size_t max_depth) {
  std::vector<std::pair<const nlohmann::json*, size_t>> pending = {{&value, 1}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    if (depth > max_depth) return true;
    for (const auto& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return false;
}

}  // namespace

std::string CsvField(const nlohmann::json& value) {
  std::string text;
  if (value.is_null()) return "";
  if (value.is_string()) {
    text = value.get<std::string>();
    if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos) text = "'" + text;
  } else if (value.is_structured()) {
    if (NestsDeeperThan(value, kCsvMaxDepth)) return "(nested too deep)";
    text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    text = value.dump();
  }
  const bool quote = text.find_first_of(",\"\r\n") != std::string::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

Csv CsvFromAnswer(const nlohmann::json& answer, size_t max_rows, bool excel_bom) {
  Csv csv;
  if (excel_bom) csv.text = "\xEF\xBB\xBF";
  if (answer.is_object() && answer.contains("cells")) {  // heatmap: one row per weekday and hour
    AppendRow({"weekday", "hour", CsvField(answer.value("metric", "value"))}, &csv.text);
    const nlohmann::json& weekdays = answer.contains("weekdays") ? answer.at("weekdays") : nlohmann::json::array();
    const nlohmann::json& cells = answer.at("cells");
    for (size_t d = 0; cells.is_array() && d < cells.size(); ++d) {
      for (size_t h = 0; cells[d].is_array() && h < cells[d].size(); ++h) {
        if (csv.rows == max_rows) {
          csv.truncated = true;
          return csv;
        }
        AppendRow({CsvField(weekdays.is_array() && d < weekdays.size() ? weekdays[d] : nlohmann::json(d)),
                   std::to_string(h), CsvField(cells[d][h])},
                  &csv.text);
        ++csv.rows;
      }
    }
    return csv;
  }
  // One object (or any other value) is one row; referenced, never copied (a copy recurses once per level).
  std::vector<const nlohmann::json*> rows;
  if (answer.is_array()) {
    for (const auto& row : answer) rows.push_back(&row);
  } else {
    rows.push_back(&answer);
  }
  // The columns: every key, in the order first seen.
  std::vector<std::string> columns;
  for (const nlohmann::json* row : rows) {
    if (!row->is_object()) continue;
    for (const auto& [key, value] : row->items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
  }
  std::vector<std::string> header;
  for (const std::string& c : columns) header.push_back(CsvField(c));
  AppendRow(header, &csv.text);
  for (const nlohmann::json* row : rows) {
    if (csv.rows == max_rows) {
      csv.truncated = true;
      break;
    }
    std::vector<std::string> fields;
    for (const std::string& c : columns)
      fields.push_back(row->is_object() && row->contains(c) ? CsvField(row->at(c)) : "");
    AppendRow(fields, &csv.text);
    ++csv.rows;
  }
  return csv;
}

}  // namespace exporter::api
