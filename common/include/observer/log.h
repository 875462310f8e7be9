// Structured logging: one JSON object per line on stdout (level, component, message, request id, fields).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace observer::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Process-wide settings, set once at start-up before threads start.
void SetComponent(std::string component);
void SetLevel(Level level);
// Parses "debug|info|warn|error"; returns false on anything else.
bool ParseLevel(std::string_view text, Level* out);

// The request id of the HTTP request this thread is serving ("" outside a request).
void SetThreadRequestId(std::string request_id);
const std::string& ThreadRequestId();

// Writes {"ts","level","component","msg","request_id"?, ...fields} as one line, atomically.
void Write(Level level, std::string_view message, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, m, f);
}

// Formats one log line without writing it (used by Write and by tests).
std::string FormatLine(Level level, std::string_view component, std::string_view message, std::string_view request_id,
                       const nlohmann::json& fields, long long unix_millis);

}  // namespace observer::log
