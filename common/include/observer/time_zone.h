// Time zones for the JSON API's buckets and the chat alerts' times: UTC, fixed offsets ("+08:00") and IANA names read
// from TZif files (a small pure reader; GCC 12 has no std::chrono::tzdb), and local-time bucket boundaries that follow
// DST changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace observer {

// Transitions are expanded up to this instant (2100-01-01 UTC); the API accepts no time after it.
inline constexpr int64_t kTimeZoneHorizon = 4102444800;

class TimeZone {
 public:
  // UTC.
  TimeZone() = default;
  static TimeZone Fixed(int32_t offset_seconds, std::string name);
  // From the contents of a TZif file (RFC 8536, versions 1-4); the POSIX rule in its footer is expanded to
  // kTimeZoneHorizon. nullopt with *error on a malformed file.
  static std::optional<TimeZone> FromTzif(std::string_view bytes, std::string name, std::string* error);
  // "UTC", "Z", "+08:00", "-0530", "+8" or an IANA name such as "Asia/Shanghai" read from zoneinfo_dir.
  static std::optional<TimeZone> Load(std::string_view name, const std::string& zoneinfo_dir, std::string* error);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at unix time t.
  int32_t OffsetAt(int64_t t) const;
  // The bucket (of slot seconds of local time; slot divides a day) that contains t: local time floor-divided by the
  // slot. Buckets change at local multiples of the slot and at offset changes that move the local time across one,
  // so a DST day is 23 or 25 hours long and a repeated local hour is one two-hour bucket.
  int64_t BucketKey(int64_t t, int64_t slot) const;
  // The first instant after t that is in another bucket.
  int64_t NextBoundary(int64_t t, int64_t slot) const;
  // The first instant of t's bucket.
  int64_t BucketStart(int64_t t, int64_t slot) const;

 private:
  struct Transition {
    int64_t at;
    int32_t offset;
  };
  // The first transition strictly after t, or kTimeZoneHorizon.
  int64_t NextTransition(int64_t t) const;

  std::string name_ = "UTC";
  int32_t initial_offset_ = 0;            // before the first transition
  std::vector<Transition> transitions_;  // sorted by time
};

// Expands a POSIX TZ string ("CST-8", "EST5EDT,M3.2.0,M11.1.0", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0") into
// (transition time, new offset) pairs from year `from_year` until kTimeZoneHorizon; *std_offset gets the standard
// offset. False for forms other than Mm.w.d rules.
bool ExpandPosixTz(std::string_view tz, int from_year, int32_t* std_offset,
                   std::vector<std::pair<int64_t, int32_t>>* transitions);

// "+08:00" style offset text of seconds east of UTC.
std::string OffsetText(int32_t offset_seconds);
// ISO 8601 local time with offset: "2025-08-11T10:00:00+08:00".
std::string LocalIso(const TimeZone& zone, int64_t t);
// Civil date of days since 1970-01-01, and back (Howard Hinnant's algorithms).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace observer
