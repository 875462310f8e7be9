// Time zones for the JSON API's buckets and the chat alerts' times: UTC, fixed offsets ("+08:00") and IANA names read
// from the zoneinfo files by abseil's time zones (GCC 12 has no std::chrono::tzdb), and local-time bucket boundaries
// that follow DST changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <absl/time/time.h>

namespace observer {

// The API accepts no time after this instant (2100-01-01 UTC).
inline constexpr int64_t kTimeZoneHorizon = 4102444800;

class TimeZone {
 public:
  // UTC.
  TimeZone() = default;
  static TimeZone Fixed(int32_t offset_seconds, std::string name);
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
  // The first offset change strictly after t; past the last one (or in a fixed zone) a time after kTimeZoneHorizon.
  int64_t NextTransition(int64_t t) const;

  std::string name_ = "UTC";
  absl::TimeZone zone_;  // UTC by default
};

// "+08:00" style offset text of seconds east of UTC.
std::string OffsetText(int32_t offset_seconds);
// ISO 8601 local time with offset: "2025-08-11T10:00:00+08:00".
std::string LocalIso(const TimeZone& zone, int64_t t);
// Civil date of days since 1970-01-01, and back (proleptic Gregorian calendar).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace observer
