// Structured JSON-lines logger shared by every binary.
#include "observer/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace observer::log {
namespace {

std::string g_component = "observer";
Level g_level = Level::kInfo;
std::mutex g_write_mutex;
thread_local std::string t_request_id;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string Rfc3339Millis(long long unix_millis) {
  std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, unix_millis % 1000);
  return buffer;
}

}  // namespace

void SetComponent(std::string component) { g_component = std::move(component); }
void SetLevel(Level level) { g_level = level; }

bool ParseLevel(std::string_view text, Level* out) {
  if (text == "debug")
    *out = Level::kDebug;
  else if (text == "info")
    *out = Level::kInfo;
  else if (text == "warn")
    *out = Level::kWarn;
  else if (text == "error")
    *out = Level::kError;
  else
    return false;
  return true;
}

void SetThreadRequestId(std::string request_id) { t_request_id = std::move(request_id); }
const std::string& ThreadRequestId() { return t_request_id; }

std::string FormatLine(Level level, std::string_view component, std::string_view message, std::string_view request_id,
                       const nlohmann::json& fields, long long unix_millis) {
  nlohmann::ordered_json line;
  line["ts"] = Rfc3339Millis(unix_millis);
  line["level"] = LevelName(level);
  line["component"] = component;
  line["msg"] = message;
  if (!request_id.empty()) line["request_id"] = request_id;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // Replace invalid UTF-8 instead of throwing: a log line must never take the process down.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void Write(Level level, std::string_view message, const nlohmann::json& fields) {
  if (level < g_level) return;
  const long long now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string text = FormatLine(level, g_component, message, t_request_id, fields, now_ms);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace observer::log
