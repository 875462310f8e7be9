// Escaping for the two ways rows reach the server: LOAD DATA TSV (bulk history) and SQL literals (live inserts,
// entity tables). Also number formatting that matches Go's encoding/json closely enough and never varies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "observer/dialect.h"

namespace sim {

// Appends a field for LOAD DATA ... FIELDS TERMINATED BY '\t' ESCAPED BY '\\': backslash, tab, newline, carriage
// return and NUL are escaped; std::nullopt becomes \N (SQL NULL). PostgreSQL's COPY reads the same text format
// (NUL aside, which its text cannot hold and generated rows never contain).
void AppendTsvField(std::string* out, std::optional<std::string_view> value);
void AppendTsvInt(std::string* out, int64_t value);

// A string literal for the dialect's engine: 'text' with backslash escapes on MySQL (the server runs without
// NO_BACKSLASH_ESCAPES), a standard string on PostgreSQL (standard_conforming_strings).
std::string SqlQuote(const observer::Dialect& dialect, std::string_view value);

// Shortest round-trip decimal form ("1.25", "4", "0.075"), as Go's json.Marshal prints float64.
std::string FormatNumber(double value);
// JSON string literal with escapes.
std::string JsonString(std::string_view value);

}  // namespace sim
