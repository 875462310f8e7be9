// TZif and POSIX TZ parsing, offsets and local-time buckets.
#include "observer/time_zone.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace observer {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

uint32_t Be32(std::string_view b, size_t at) {
  return (uint32_t{static_cast<unsigned char>(b[at])} << 24) | (uint32_t{static_cast<unsigned char>(b[at + 1])} << 16) |
         (uint32_t{static_cast<unsigned char>(b[at + 2])} << 8) | uint32_t{static_cast<unsigned char>(b[at + 3])};
}

int64_t Be64(std::string_view b, size_t at) {
  return static_cast<int64_t>((uint64_t{Be32(b, at)} << 32) | uint64_t{Be32(b, at + 4)});
}

// Reads [+-]h[h][:mm[:ss]] at *pos; false when there is no number there.
bool ParseClock(std::string_view s, size_t* pos, int32_t* seconds) {
  int sign = 1;
  if (*pos < s.size() && (s[*pos] == '+' || s[*pos] == '-')) sign = s[(*pos)++] == '-' ? -1 : 1;
  int32_t parts[3] = {0, 0, 0};
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (*pos >= s.size() || s[*pos] != ':') break;
      ++*pos;
    }
    const size_t begin = *pos;
    while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9' && *pos - begin < 3) parts[part] = parts[part] * 10 + (s[(*pos)++] - '0');
    if (*pos == begin) return false;
  }
  *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool SkipTzName(std::string_view s, size_t* pos) {
  const size_t begin = *pos;
  if (*pos < s.size() && s[*pos] == '<') {
    const size_t close = s.find('>', *pos);
    if (close == std::string_view::npos) return false;
    *pos = close + 1;
    return true;
  }
  while (*pos < s.size() && ((s[*pos] >= 'A' && s[*pos] <= 'Z') || (s[*pos] >= 'a' && s[*pos] <= 'z'))) ++*pos;
  return *pos - begin >= 3;
}

struct PosixRule {
  unsigned month = 0, week = 0, weekday = 0;
  int32_t time = 7200;  // local time of the change, seconds (may be negative or past 24 h)
};

bool ParseRule(std::string_view s, size_t* pos, PosixRule* rule) {
  unsigned values[3] = {0, 0, 0};
  if (*pos >= s.size() || s[*pos] != 'M') return false;
  ++*pos;
  for (int i = 0; i < 3; ++i) {
    if (i > 0 && (*pos >= s.size() || s[(*pos)++] != '.')) return false;
    const size_t begin = *pos;
    while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') values[i] = values[i] * 10 + static_cast<unsigned>(s[(*pos)++] - '0');
    if (*pos == begin) return false;
  }
  rule->month = values[0];
  rule->week = values[1];
  rule->weekday = values[2];
  if (rule->month < 1 || rule->month > 12 || rule->week < 1 || rule->week > 5 || rule->weekday > 6) return false;
  if (*pos < s.size() && s[*pos] == '/') {
    ++*pos;
    if (!ParseClock(s, pos, &rule->time)) return false;
  }
  return true;
}

// Days since the epoch of the rule's date in `year`.
int64_t RuleDay(const PosixRule& rule, int64_t year) {
  static const unsigned kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int64_t first = DaysFromCivil(year, rule.month, 1);
  const int64_t first_weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
  int64_t day = first + (static_cast<int64_t>(rule.weekday) - first_weekday + 7) % 7 + (rule.week - 1) * 7;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int64_t month_days = kDaysInMonth[rule.month - 1] + (rule.month == 2 && leap ? 1 : 0);
  while (day >= first + month_days) day -= 7;
  return day;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

bool ExpandPosixTz(std::string_view tz, int from_year, int32_t* std_offset,
                   std::vector<std::pair<int64_t, int32_t>>* transitions) {
  size_t pos = 0;
  int32_t west = 0;
  if (!SkipTzName(tz, &pos) || !ParseClock(tz, &pos, &west)) return false;
  *std_offset = -west;
  if (pos == tz.size()) return true;
  if (!SkipTzName(tz, &pos)) return false;
  int32_t dst_offset = *std_offset + 3600;
  if (pos < tz.size() && tz[pos] != ',') {
    if (!ParseClock(tz, &pos, &west)) return false;
    dst_offset = -west;
  }
  PosixRule start, end;
  if (pos >= tz.size() || tz[pos++] != ',' || !ParseRule(tz, &pos, &start) || pos >= tz.size() || tz[pos++] != ',' ||
      !ParseRule(tz, &pos, &end) || pos != tz.size()) {
    return false;
  }
  for (int64_t year = from_year; year <= 2100; ++year) {
    // The start is given in standard time, the end in daylight time.
    const int64_t begins = RuleDay(start, year) * 86400 + start.time - *std_offset;
    const int64_t ends = RuleDay(end, year) * 86400 + end.time - dst_offset;
    transitions->push_back({begins, dst_offset});
    transitions->push_back({ends, *std_offset});
  }
  std::sort(transitions->begin(), transitions->end());
  return true;
}

TimeZone TimeZone::Fixed(int32_t offset_seconds, std::string name) {
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = offset_seconds;
  return zone;
}

std::optional<TimeZone> TimeZone::FromTzif(std::string_view b, std::string name, std::string* error) {
  auto bad = [error](const std::string& why) -> std::optional<TimeZone> {
    *error = "invalid TZif data: " + why;
    return std::nullopt;
  };
  constexpr size_t kHeader = 44;
  if (b.size() < kHeader || b.substr(0, 4) != "TZif") return bad("no TZif header");
  auto counts = [&b](size_t at, uint32_t out[6]) {
    for (int i = 0; i < 6; ++i) out[i] = Be32(b, at + 20 + 4 * static_cast<size_t>(i));
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  uint32_t c[6];
  counts(0, c);
  auto block_size = [](const uint32_t n[6], size_t time_bytes) {
    return n[3] * time_bytes + n[3] + n[4] * 6 + n[5] + n[2] * (time_bytes + 4) + n[1] + n[0];
  };
  size_t at = kHeader;
  size_t time_bytes = 4;
  if (b[4] >= '2') {  // skip the 32-bit block; the 64-bit one follows with its own header
    at += block_size(c, 4);
    if (b.size() < at + kHeader || b.substr(at, 4) != "TZif") return bad("no second header");
    counts(at, c);
    at += kHeader;
    time_bytes = 8;
  }
  if (c[4] == 0 || c[4] > 256 || c[3] > 100000) return bad("implausible counts");
  if (b.size() < at + block_size(c, time_bytes)) return bad("truncated");
  const size_t types_at = at + c[3] * time_bytes + c[3];
  auto type_offset = [&](size_t type) { return static_cast<int32_t>(Be32(b, types_at + type * 6)); };

  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = type_offset(0);
  for (uint32_t i = 0; i < c[3]; ++i) {
    const int64_t when = time_bytes == 8 ? Be64(b, at + i * 8) : static_cast<int32_t>(Be32(b, at + i * 4));
    const size_t type = static_cast<unsigned char>(b[at + c[3] * time_bytes + i]);
    if (type >= c[4]) return bad("transition type out of range");
    if (!zone.transitions_.empty() && when <= zone.transitions_.back().at) return bad("transitions out of order");
    zone.transitions_.push_back({when, type_offset(type)});
  }
  // The footer's rule continues after the last transition (slim files stop their table early).
  size_t footer = at + block_size(c, time_bytes);
  if (time_bytes == 8 && footer < b.size() && b[footer] == '\n') {
    const size_t close = b.find('\n', footer + 1);
    const std::string_view tz = b.substr(footer + 1, close == std::string_view::npos ? 0 : close - footer - 1);
    int32_t std_offset = 0;
    std::vector<std::pair<int64_t, int32_t>> rule;
    const int64_t last = zone.transitions_.empty() ? 0 : zone.transitions_.back().at;
    int64_t year = 1970;
    unsigned month = 1, day = 1;
    CivilFromDays(FloorDiv(last, 86400), &year, &month, &day);
    if (!tz.empty() && ExpandPosixTz(tz, static_cast<int>(year), &std_offset, &rule)) {
      for (const auto& [when, offset] : rule) {
        if (when > last && when < kTimeZoneHorizon) zone.transitions_.push_back({when, offset});
      }
    }
  }
  return zone;
}

std::optional<TimeZone> TimeZone::Load(std::string_view name, const std::string& zoneinfo_dir, std::string* error) {
  if (name == "UTC" || name == "Z") return Fixed(0, "UTC");
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    // +8, +08, +0800, +08:00
    const int sign = name[0] == '-' ? -1 : 1;
    std::string digits;
    for (char ch : name.substr(1)) {
      if (ch >= '0' && ch <= '9') {
        digits.push_back(ch);
      } else if (ch != ':' || digits.size() != 2) {
        digits = "bad";
        break;
      }
    }
    const bool colon = name.find(':') != std::string_view::npos;
    const bool shape_ok = digits != "bad" && (digits.size() == 1 || digits.size() == 2 || digits.size() == 4) &&
                          (!colon || digits.size() == 4);
    const int hours = shape_ok ? std::stoi(digits.substr(0, std::min<size_t>(2, digits.size()))) : 99;
    const int minutes = shape_ok && digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
    if (!shape_ok || hours > 14 || minutes > 59 || (hours == 14 && minutes > 0)) {
      *error = "invalid UTC offset '" + std::string(name) + "': expected +HH:MM between -14:00 and +14:00";
      return std::nullopt;
    }
    const int32_t offset = sign * (hours * 3600 + minutes * 60);
    return Fixed(offset, offset == 0 ? "UTC" : OffsetText(offset));
  }
  bool valid = !name.empty() && name.size() <= 64 && name.front() != '/' && name.back() != '/' &&
               name.find("..") == std::string_view::npos && name.find("//") == std::string_view::npos;
  for (char ch : name) {
    valid = valid && ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' ||
                      ch == '_' || ch == '-' || ch == '+');
  }
  if (!valid) {
    *error = "invalid time zone '" + std::string(name) + "': expected an IANA name such as Asia/Shanghai or +08:00";
    return std::nullopt;
  }
  std::ifstream in(zoneinfo_dir + "/" + std::string(name), std::ios::binary);
  std::stringstream bytes;
  if (in) bytes << in.rdbuf();
  if (!in || bytes.str().size() > (1 << 20)) {
    *error = "unknown time zone '" + std::string(name) + "'";
    return std::nullopt;
  }
  std::string why;
  std::optional<TimeZone> zone = FromTzif(bytes.str(), std::string(name), &why);
  if (!zone) *error = "time zone '" + std::string(name) + "': " + why;
  return zone;
}

int32_t TimeZone::OffsetAt(int64_t t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](int64_t value, const Transition& tr) { return value < tr.at; });
  return it == transitions_.begin() ? initial_offset_ : std::prev(it)->offset;
}

int64_t TimeZone::NextTransition(int64_t t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](int64_t value, const Transition& tr) { return value < tr.at; });
  return it == transitions_.end() ? kTimeZoneHorizon : it->at;
}

int64_t TimeZone::BucketKey(int64_t t, int64_t slot) const { return FloorDiv(t + OffsetAt(t), slot); }

int64_t TimeZone::NextBoundary(int64_t t, int64_t slot) const {
  const int64_t key = BucketKey(t, slot);
  for (int64_t u = t;;) {
    const int64_t by_clock = (BucketKey(u, slot) + 1) * slot - OffsetAt(u);
    const int64_t change = NextTransition(u);
    if (change > by_clock) return by_clock;
    if (BucketKey(change, slot) != key) return change;
    u = change;
  }
}

int64_t TimeZone::BucketStart(int64_t t, int64_t slot) const {
  // A bucket lasts at most a slot plus the offset changes inside it (a few hours), so a boundary lies after this.
  int64_t start = t - slot - 4 * 3600;
  for (int64_t next = NextBoundary(start, slot); next <= t; next = NextBoundary(start, slot)) start = next;
  return start;
}

std::string OffsetText(int32_t offset) {
  const char sign = offset < 0 ? '-' : '+';
  const int32_t a = offset < 0 ? -offset : offset;
  char text[16];
  if (a % 60 != 0) {
    std::snprintf(text, sizeof text, "%c%02d:%02d:%02d", sign, a / 3600, a / 60 % 60, a % 60);
  } else {
    std::snprintf(text, sizeof text, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
  }
  return text;
}

std::string LocalIso(const TimeZone& zone, int64_t t) {
  const int32_t offset = zone.OffsetAt(t);
  const int64_t local = t + offset;
  const int64_t days = FloorDiv(local, 86400);
  const int64_t seconds = local - days * 86400;
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  char text[40];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(year), month, day,
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                static_cast<long long>(seconds % 60));
  return text + OffsetText(offset);
}

}  // namespace observer
