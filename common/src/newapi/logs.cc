// Conversion of `logs` result rows and tolerant parsing of the `other` JSON column.
#include "observer/newapi/logs.h"

#include <charconv>
#include <iterator>
#include <map>

namespace observer::newapi {
namespace {

// A forward-only reader of one JSON object's top level: keys, and values skipped or read as numbers.
class TopLevelReader {
 public:
  explicit TopLevelReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // A string's raw contents (escapes left as they are: the keys read here have none).
  bool ReadString(std::string_view* out) {
    SkipSpace();
    if (p_ >= end_ || *p_ != '"') return false;
    const char* start = ++p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' && ++p_ == end_) return false;  // an escape: skip the escaped character too
      ++p_;
    }
    if (p_ >= end_) return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  // Skips any value; nested objects and arrays by depth, strings by their quotes.
  bool SkipValue() {
    SkipSpace();
    if (p_ >= end_) return false;
    if (*p_ == '"') {
      std::string_view ignored;
      return ReadString(&ignored);
    }
    if (*p_ == '{' || *p_ == '[') {
      int depth = 0;
      while (p_ < end_) {
        const char c = *p_;
        if (c == '"') {
          std::string_view ignored;
          if (!ReadString(&ignored)) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
        ++p_;
        if (depth == 0) return true;
      }
      return false;
    }
    const char* start = p_;
    while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ' && *p_ != '\n' && *p_ != '\t' &&
           *p_ != '\r') {
      ++p_;
    }
    return p_ > start;
  }
  // A number, or a string holding one; other values are skipped and give nullopt.
  bool ReadNumber(std::optional<double>* out) {
    SkipSpace();
    out->reset();
    if (p_ < end_ && *p_ == '"') {
      std::string_view text;
      if (!ReadString(&text)) return false;
      double value = 0;
      auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc() && last == text.data() + text.size()) *out = value;
      return true;
    }
    double value = 0;
    auto [last, error] = std::from_chars(p_, end_, value);
    if (error == std::errc()) {
      p_ = last;
      *out = value;
      return true;
    }
    return SkipValue();
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace

void ParseOther(std::string_view other, LogRow* row) {
  row->frt_ms.reset();
  row->cache_tokens = 0;
  row->other_valid = true;
  if (other.empty()) return;
  std::optional<double> frt, cached;
  TopLevelReader reader(other);
  bool valid = reader.Consume('{');
  if (valid && !reader.Consume('}')) {
    while (true) {
      std::string_view key;
      if (!reader.ReadString(&key) || !reader.Consume(':')) {
        valid = false;
        break;
      }
      const bool ok = key == "frt"            ? reader.ReadNumber(&frt)
                      : key == "cache_tokens" ? reader.ReadNumber(&cached)
                                              : reader.SkipValue();
      if (!ok) {
        valid = false;
        break;
      }
      if (reader.Consume(',')) continue;
      valid = reader.Consume('}');
      break;
    }
  }
  if (!valid || !reader.AtEnd()) {
    row->other_valid = false;
    return;
  }
  if (frt && *frt > 0) row->frt_ms = *frt;
  if (cached && *cached > 0) row->cache_tokens = static_cast<int64_t>(*cached);
}

LogRow LogRowFrom(const DbRowView& r) {
  LogRow row;
  row.id = DbInt(r[0]);
  row.user_id = DbInt(r[1]);
  row.created_at = DbInt(r[2]);
  row.type = DbInt(r[3]);
  row.username = DbString(r[4]);
  row.token_name = DbString(r[5]);
  row.model_name = DbString(r[6]);
  row.quota = DbInt(r[7]);
  row.prompt_tokens = DbInt(r[8]);
  row.completion_tokens = DbInt(r[9]);
  row.use_time = DbInt(r[10]);
  row.is_stream = DbInt(r[11]) != 0;
  row.channel_id = DbInt(r[12]);
  row.token_id = DbInt(r[13]);
  row.group = DbString(r[14]);
  row.ip = DbString(r[15]);
  if (auto other = r[16]) ParseOther(*other, &row);
  return row;
}

std::string LogTypes::Sql() const {
  std::string list;
  int count = 0;
  for (int64_t type = 1; type < 32; ++type) {
    if (!Has(type)) continue;
    list += (list.empty() ? "" : ", ") + std::to_string(type);
    ++count;
  }
  return count == 1 ? "type = " + list : "type IN (" + list + ")";
}

std::string LogsIndexAdvice(const Dialect& dialect, const QueryResult& index_rows) {
  std::map<std::string, std::map<int, std::string>> keys;  // index name -> position -> column
  for (const DbRow& r : index_rows.rows) {
    if (r.size() >= 3) keys[r[0].value_or("")][std::stoi(r[1].value_or("0"))] = r[2].value_or("");
  }
  for (const auto& [name, columns] : keys) {
    if (columns.size() >= 2 && columns.begin()->second == "created_at" && std::next(columns.begin())->second == "id") {
      return "";
    }
  }
  return dialect.AddIndexSql("logs", "idx_created_at_id", "created_at, id", keys.count("idx_created_at_id") > 0);
}

}  // namespace observer::newapi
