// JSON answers to CSV text.
#include "api/csv.h"

#include <algorithm>
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

}  // namespace

std::string CsvField(const nlohmann::json& value) {
  std::string text;
  if (value.is_null()) return "";
  if (value.is_string()) {
    text = value.get<std::string>();
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) text = "'" + text;
  } else if (value.is_structured()) {
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
    const auto& weekdays = answer["weekdays"];
    const auto& cells = answer["cells"];
    for (size_t d = 0; d < cells.size(); ++d) {
      for (size_t h = 0; h < cells[d].size(); ++h) {
        if (csv.rows == max_rows) {
          csv.truncated = true;
          return csv;
        }
        AppendRow({CsvField(d < weekdays.size() ? weekdays[d] : nlohmann::json(d)), std::to_string(h),
                   CsvField(cells[d][h])},
                  &csv.text);
        ++csv.rows;
      }
    }
    return csv;
  }
  const nlohmann::json rows = answer.is_array() ? answer : nlohmann::json::array({answer});
  // The columns: every key, in the order first seen.
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [key, value] : row.items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
  }
  std::vector<std::string> header;
  for (const std::string& c : columns) header.push_back(CsvField(c));
  AppendRow(header, &csv.text);
  for (const auto& row : rows) {
    if (csv.rows == max_rows) {
      csv.truncated = true;
      break;
    }
    std::vector<std::string> fields;
    for (const std::string& c : columns) fields.push_back(row.is_object() && row.contains(c) ? CsvField(row[c]) : "");
    AppendRow(fields, &csv.text);
    ++csv.rows;
  }
  return csv;
}

}  // namespace exporter::api
