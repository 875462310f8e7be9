// new-api's `logs` table as the observer reads it: log types, the columns read, and parsing of the `other` JSON.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "observer/db_client.h"

namespace observer::newapi {

// logs.type values (new-api model/log.go).
enum LogType : int64_t {
  kLogTopup = 1,
  kLogConsume = 2,
  kLogManage = 3,
  kLogSystem = 4,
  kLogError = 5,
  kLogRefund = 6,
  kLogLogin = 7,
};

// A set of log types: the one form that both the C++ test of a row and the SQL condition on `logs` are written from.
class LogTypes {
 public:
  constexpr LogTypes() = default;
  constexpr LogTypes(std::initializer_list<LogType> types) {
    for (LogType t : types) bits_ |= uint32_t{1} << t;
  }
  constexpr LogTypes operator|(LogTypes other) const {
    LogTypes both = *this;
    both.bits_ |= other.bits_;
    return both;
  }
  constexpr bool Has(int64_t type) const { return type > 0 && type < 32 && ((bits_ >> type) & 1) != 0; }
  // The same test on logs.type: "type = 2" or "type IN (2, 5, 7)".
  std::string Sql() const;

 private:
  uint32_t bits_ = 0;
};

// The columns the observer reads, in LogRow order. Never `content` (free text) or `channel_name` (always NULL).
inline constexpr std::string_view kLogColumns =
    "id, user_id, created_at, type, username, token_name, model_name, quota, prompt_tokens, completion_tokens, "
    "use_time, is_stream, channel_id, token_id, \"group\", ip, other";

struct LogRow {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t created_at = 0;
  int64_t type = 0;
  std::string username;
  std::string token_name;
  std::string model_name;
  int64_t quota = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t use_time = 0;
  bool is_stream = false;
  int64_t channel_id = 0;
  int64_t token_id = 0;
  std::string group;
  std::string ip;
  // From `other`:
  std::optional<double> frt_ms;  // first response time; absent when not recorded or not positive
  int64_t cache_tokens = 0;      // cached prompt tokens (part of prompt_tokens)
  bool other_valid = true;       // false when `other` was not empty and not a JSON object
};

// The fix when `logs` has no index starting with (created_at, id) (upgraded installs keep the old (id, created_at)
// order), from the rows of Dialect::IndexColumnsSql (index name, position in the index, column): "" when the index
// is there, else the statements that add it. The tailer warns with it at start, --check reports it.
std::string LogsIndexAdvice(const Dialect& dialect, const QueryResult& index_rows);

// Builds a row from a result row selected with kLogColumns; NULLs become 0 / "" (old rows predate columns).
LogRow LogRowFrom(const DbRowView& row);

// Reads frt and cache_tokens from the top level of `other` without building a JSON document (this runs for every
// row read); tolerates empty, invalid or non-object JSON and string-typed numbers.
void ParseOther(std::string_view other, LogRow* row);

}  // namespace observer::newapi
