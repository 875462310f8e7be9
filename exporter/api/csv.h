// CSV export of the API's JSON answers (RFC 4180: CRLF lines, quoted fields where needed, UTF-8, optional BOM for
// Excel). Text cells that a spreadsheet would run as a formula (starting with = + - @ TAB or CR, OWASP's list; the
// UI's frontend/src/lib/csv.ts applies the same rule) are prefixed with an apostrophe: token and user names are chosen
// by the gateway's customers. Answers may come from Redis, so any JSON gives a CSV without recursing into it. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace exporter::api {

// Deeper structured cells are written as "(nested too deep)": no answer of ours nests more than a few levels.
inline constexpr size_t kCsvMaxDepth = 32;

struct Csv {
  std::string text;
  size_t rows = 0;         // data rows written
  bool truncated = false;  // more rows than max_rows
};

// Rows are the answer's array of objects (series, top, anomalies, logs) or a heatmap's weekday × hour cells.
Csv CsvFromAnswer(const nlohmann::json& answer, size_t max_rows, bool excel_bom);

// One field, quoted when it holds a comma, quote, CR or LF, or starts or ends with a space.
std::string CsvField(const nlohmann::json& value);

}  // namespace exporter::api
