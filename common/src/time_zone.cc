// Offsets, transitions and civil dates from abseil's time zones; local-time buckets on top of them.
#include "observer/time_zone.h"

#include <absl/time/civil_time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace observer {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

constexpr absl::CivilDay kEpochDay(1970, 1, 1);

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  return absl::CivilDay(year, static_cast<int>(month), static_cast<int>(day)) - kEpochDay;
}

void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  const absl::CivilDay civil = kEpochDay + days;
  *year = civil.year();
  *month = static_cast<unsigned>(civil.month());
  *day = static_cast<unsigned>(civil.day());
}

TimeZone TimeZone::Fixed(int32_t offset_seconds, std::string name) {
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.zone_ = absl::FixedTimeZone(offset_seconds);
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
  // abseil reads a path that starts with '/' as it is (others from $TZDIR or /usr/share/zoneinfo).
  std::error_code ignored;
  const std::string path = (std::filesystem::absolute(zoneinfo_dir, ignored) / std::string(name)).string();
  if (!std::filesystem::is_regular_file(path, ignored)) {
    *error = "unknown time zone '" + std::string(name) + "'";
    return std::nullopt;
  }
  TimeZone zone;
  zone.name_ = std::string(name);
  if (!absl::LoadTimeZone(path, &zone.zone_)) {
    *error = "time zone '" + std::string(name) + "': not a valid zoneinfo (TZif) file";
    return std::nullopt;
  }
  return zone;
}

int32_t TimeZone::OffsetAt(int64_t t) const { return zone_.At(absl::FromUnixSeconds(t)).offset; }

int64_t TimeZone::NextTransition(int64_t t) const {
  absl::TimeZone::CivilTransition change;
  if (!zone_.NextTransition(absl::FromUnixSeconds(t), &change)) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixSeconds(zone_.At(change.to).trans);
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
