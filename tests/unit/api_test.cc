// The JSON API's pure parts without a database: time zones (fixed offsets, zoneinfo files, far-future rules, DST
// buckets), parameter validation and normalization, the hourly/logs query plan, the SQL's column allow-list, access
// checks and the HTTP status of each kind of database failure on both engines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/access.h"
#include "api/answer.h"
#include "api/params.h"
#include "api/plan.h"
#include "api/usage_sql.h"
#include "observer/time_zone.h"

namespace exporter::api {
namespace {

using observer::DaysFromCivil;
using observer::OffsetText;

constexpr const char* kZoneinfo = "/usr/share/zoneinfo";

// Unix time of a UTC civil time.
int64_t Utc(int64_t y, unsigned mo, unsigned d, int64_t h = 0, int64_t mi = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

TimeZone MustLoad(const std::string& name) {
  std::string error;
  std::optional<TimeZone> zone = TimeZone::Load(name, kZoneinfo, &error);
  EXPECT_TRUE(zone) << name << ": " << error;
  return zone.value_or(TimeZone());
}

ZoneLookup Zones() {
  return [](const std::string& name, std::string* error) -> std::shared_ptr<const TimeZone> {
    std::optional<TimeZone> zone = TimeZone::Load(name.empty() ? "UTC" : name, kZoneinfo, error);
    return zone ? std::make_shared<const TimeZone>(*zone) : nullptr;
  };
}

TEST(TimeZoneTest, FixedOffsetsAreNormalized) {
  EXPECT_EQ(MustLoad("+08:00").name(), "+08:00");
  EXPECT_EQ(MustLoad("+8").name(), "+08:00");
  EXPECT_EQ(MustLoad("-0530").name(), "-05:30");
  EXPECT_EQ(MustLoad("+00:00").name(), "UTC");
  EXPECT_EQ(MustLoad("UTC").OffsetAt(0), 0);
  EXPECT_EQ(MustLoad("+05:45").OffsetAt(Utc(2024, 1, 1)), 5 * 3600 + 45 * 60);
  std::string error;
  for (const char* bad : {"+15:00", "+14:30", "+8:00", "+08:60", "+", "-abc", "../etc/passwd", "/etc/passwd",
                          "Asia/Nowhere", "Asia/../../etc", "a b"}) {
    EXPECT_FALSE(TimeZone::Load(bad, kZoneinfo, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(TimeZoneTest, ReadsDaylightSavingTimeFromTzif) {
  const TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.OffsetAt(Utc(2024, 3, 10, 6, 59)), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2024, 3, 10, 7, 0)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2024, 11, 3, 5, 59)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2024, 11, 3, 6, 0)), -5 * 3600);
  // After the table of the file: the footer's POSIX rule.
  EXPECT_EQ(ny.OffsetAt(Utc(2060, 7, 1)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2060, 12, 1)), -5 * 3600);
  EXPECT_EQ(MustLoad("Asia/Shanghai").OffsetAt(Utc(2024, 7, 1)), 8 * 3600);
  EXPECT_EQ(MustLoad("Asia/Kolkata").OffsetAt(Utc(2024, 7, 1)), 5 * 3600 + 1800);
  EXPECT_EQ(MustLoad("Australia/Sydney").OffsetAt(Utc(2024, 1, 1)), 11 * 3600);
  EXPECT_EQ(MustLoad("Australia/Sydney").OffsetAt(Utc(2024, 7, 1)), 10 * 3600);
  EXPECT_EQ(LocalIso(ny, Utc(2024, 7, 1, 16)), "2024-07-01T12:00:00-04:00");
  EXPECT_EQ(LocalIso(MustLoad("Asia/Kolkata"), Utc(2024, 7, 1, 0)), "2024-07-01T05:30:00+05:30");
}

TEST(TimeZoneTest, ReadsZoneinfoDirAndRejectsMalformedFiles) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "api_test_zoneinfo";
  std::filesystem::create_directories(dir / "Bad");
  std::filesystem::copy_file(std::string(kZoneinfo) + "/America/New_York", dir / "Here",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "Bad" / "Empty").flush();
  std::ofstream(dir / "Bad" / "Garbage") << "TZif2" << std::string(60, '\xff');
  std::string error;
  std::optional<TimeZone> here = TimeZone::Load("Here", dir.string(), &error);
  ASSERT_TRUE(here) << error;
  EXPECT_EQ(here->name(), "Here");
  EXPECT_EQ(here->OffsetAt(Utc(2024, 7, 1)), -4 * 3600);
  for (const char* bad : {"Bad/Empty", "Bad/Garbage"}) {
    error.clear();
    EXPECT_FALSE(TimeZone::Load(bad, dir.string(), &error)) << bad;
    EXPECT_NE(error.find("TZif"), std::string::npos) << error;
  }
  EXPECT_FALSE(TimeZone::Load("Bad", dir.string(), &error)) << "a directory";
  EXPECT_FALSE(TimeZone::Load("America/New_York", dir.string(), &error)) << "only zoneinfo_dir is read";
  EXPECT_NE(error.find("unknown time zone"), std::string::npos) << error;
}

TEST(TimeZoneTest, FollowsEachZonesRuleFarAhead) {
  // 2090 is past the table of the zoneinfo files: the offsets come from the rule in their footer.
  const TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.OffsetAt(Utc(2090, 3, 12, 6, 59)), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2090, 3, 12, 7)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2090, 11, 5, 5, 59)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(Utc(2090, 11, 5, 6)), -5 * 3600);
  // Southern hemisphere, half-hour offsets and a half-hour shift (Lord Howe: 2:00 +11 on 2 April, 2:00 +10:30 on
  // 1 October).
  const TimeZone lord_howe = MustLoad("Australia/Lord_Howe");
  EXPECT_EQ(lord_howe.OffsetAt(Utc(2090, 4, 1, 14, 59)), 11 * 3600);
  EXPECT_EQ(lord_howe.OffsetAt(Utc(2090, 4, 1, 15)), 10 * 3600 + 1800);
  EXPECT_EQ(lord_howe.OffsetAt(Utc(2090, 9, 30, 15, 29)), 10 * 3600 + 1800);
  EXPECT_EQ(lord_howe.OffsetAt(Utc(2090, 9, 30, 15, 30)), 11 * 3600);
  // 02:00 +11 becomes 01:30 +10:30: the local hour 01 lasts 90 minutes.
  EXPECT_EQ(lord_howe.NextBoundary(Utc(2090, 4, 1, 14, 30), 3600), Utc(2090, 4, 1, 15, 30));
  EXPECT_EQ(lord_howe.BucketStart(Utc(2090, 4, 1, 15, 10), 3600), Utc(2090, 4, 1, 14));
  // Last-week rules with a change at 03:00 local (Europe).
  const TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Utc(2090, 3, 26, 0, 59)), 3600);
  EXPECT_EQ(berlin.OffsetAt(Utc(2090, 3, 26, 1)), 7200);
  EXPECT_EQ(berlin.OffsetAt(Utc(2090, 10, 29, 0, 59)), 7200);
  EXPECT_EQ(berlin.OffsetAt(Utc(2090, 10, 29, 1)), 3600);
  EXPECT_EQ(MustLoad("Asia/Shanghai").OffsetAt(Utc(2090, 7, 1)), 8 * 3600);
}

TEST(TimeZoneTest, DaysFollowDaylightSavingTime) {
  const TimeZone ny = MustLoad("America/New_York");
  // Local midnights around the spring change: 24, 23 and 24 hours.
  const std::vector<int64_t> days = BucketBoundaries(ny, 86400, Utc(2024, 3, 9, 5), Utc(2024, 3, 12, 4), 100);
  EXPECT_EQ(days,
            (std::vector<int64_t>{Utc(2024, 3, 9, 5), Utc(2024, 3, 10, 5), Utc(2024, 3, 11, 4), Utc(2024, 3, 12, 4)}));
  EXPECT_EQ(ny.BucketStart(Utc(2024, 3, 10, 12), 86400), Utc(2024, 3, 10, 5));
  EXPECT_EQ(ny.BucketStart(Utc(2024, 3, 11, 3, 59), 86400), Utc(2024, 3, 10, 5));
  // Hours around the autumn change: the repeated 01:00 is one two-hour bucket.
  const std::vector<int64_t> hours = BucketBoundaries(ny, 3600, Utc(2024, 11, 3, 4), Utc(2024, 11, 3, 8), 100);
  EXPECT_EQ(hours,
            (std::vector<int64_t>{Utc(2024, 11, 3, 4), Utc(2024, 11, 3, 5), Utc(2024, 11, 3, 7), Utc(2024, 11, 3, 8)}));
  // Half-hour offsets: local hours start at :30 UTC.
  const TimeZone india = MustLoad("Asia/Kolkata");
  EXPECT_EQ(india.BucketStart(Utc(2024, 7, 1, 10, 10), 3600), Utc(2024, 7, 1, 9, 30));
  EXPECT_EQ(india.NextBoundary(Utc(2024, 7, 1, 9, 30), 3600), Utc(2024, 7, 1, 10, 30));
  EXPECT_TRUE(BucketBoundaries(TimeZone(), 60, 0, 60 * 101, 100).empty()) << "over the cap";
}

QueryParams Q(std::initializer_list<std::pair<const std::string, std::string>> items) { return QueryParams(items); }

std::string SeriesError(const QueryParams& q) {
  SeriesParams p;
  std::optional<ParamError> e = ParseSeries(q, Zones(), &p);
  return e ? e->param : "";
}

TEST(ParamsTest, SeriesValidationNamesTheParameter) {
  const std::string start = std::to_string(Utc(2024, 7, 1) * 1000), end = std::to_string(Utc(2024, 7, 1, 6) * 1000);
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}})), "");
  EXPECT_EQ(SeriesError(Q({{"end_ms", end}})), "start_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}})), "end_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", "12x"}, {"end_ms", end}})), "start_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", "-5"}, {"end_ms", end}})), "start_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", "99999999999999999999"}, {"end_ms", end}})), "start_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", end}, {"end_ms", start}})), "end_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", start}})), "end_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"slot_sec", "61"}})), "slot_sec");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"tz", "Mars/Olympus"}})), "tz");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"channel", "x"}})), "channel");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"model", std::string(200, 'm')}})), "model");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"sorcery", "1"}})), "sorcery");
  // Text that is not UTF-8 names nothing (and PostgreSQL refuses it in a literal); UTF-8 beyond ASCII is fine.
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"group", "\xE4\xB8\xAD\xE6\x96\x87"}})), "");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"model", "\xF0\x9F\x98\x80"}})), "");
  for (const char* bad : {"\xE4\xB8\xAD\xFF\xFE", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE4\xB8"}) {
    EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", end}, {"group", bad}})), "group") << bad;
  }
  EXPECT_EQ(SeriesError(QueryParams{{"start_ms", start}, {"start_ms", start}, {"end_ms", end}}), "start_ms");
  // Range caps per slot: 1500 buckets.
  const std::string two_days = std::to_string(Utc(2024, 7, 3) * 1000);
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", two_days}, {"slot_sec", "60"}})), "end_ms");
  EXPECT_EQ(SeriesError(Q({{"start_ms", start}, {"end_ms", two_days}, {"slot_sec", "300"}})), "");
}

TEST(ParamsTest, RelativeRangesAlignToTheSlot) {
  // "The last 24 h" asked at two moments of the same minute: one key.
  const int64_t now = Utc(2024, 7, 1, 12, 34) + 5;
  SeriesParams a, b;
  ASSERT_FALSE(ParseSeries(Q({{"start_ms", std::to_string((now - 86400) * 1000 + 123)},
                              {"end_ms", std::to_string(now * 1000 + 123)},
                              {"slot_sec", "300"}}),
                           Zones(), &a));
  ASSERT_FALSE(ParseSeries(Q({{"start_ms", std::to_string((now + 40 - 86400) * 1000)},
                              {"end_ms", std::to_string((now + 40) * 1000)},
                              {"slot_sec", "300"}}),
                           Zones(), &b));
  EXPECT_EQ(a.Key(), b.Key());
  EXPECT_EQ(a.range.start, Utc(2024, 6, 30, 12, 30));
  EXPECT_EQ(a.range.end, Utc(2024, 7, 1, 12, 35));
  EXPECT_EQ(a.boundaries.size(), 24u * 12 + 2);
  // Days in a half-hour zone start at local midnight.
  SeriesParams d;
  ASSERT_FALSE(ParseSeries(Q({{"start_ms", std::to_string(Utc(2024, 7, 1, 12) * 1000)},
                              {"end_ms", std::to_string(Utc(2024, 7, 3, 12) * 1000)},
                              {"slot_sec", "86400"},
                              {"tz", " 05:30"}}),
                           Zones(), &d));
  EXPECT_EQ(d.zone->name(), "+05:30");
  EXPECT_EQ(d.range.start, Utc(2024, 6, 30, 18, 30));
  EXPECT_EQ(d.boundaries.size(), 4u);
  // Without a slot: whole minutes.
  TopParams t;
  ASSERT_FALSE(ParseTop(Q({{"start_ms", "60001"}, {"end_ms", "119999"}}), &t));
  EXPECT_EQ(t.range.start, 60);
  EXPECT_EQ(t.range.end, 120);
}

TEST(ParamsTest, ActiveTakesARangeAndTheSeriesFilters) {
  ActiveParams a;
  ASSERT_FALSE(ParseActive(Q({{"start_ms", "60001"}, {"end_ms", "119999"}, {"model", "m"}, {"user", "7"}}), &a));
  EXPECT_EQ(a.range.start, 60);
  EXPECT_EQ(a.range.end, 120);
  EXPECT_EQ(a.filters.model, "m");
  EXPECT_EQ(a.filters.user, 7);
  ActiveParams b;
  ASSERT_FALSE(ParseActive(Q({{"start_ms", "60001"}, {"end_ms", "119999"}, {"model", "m"}}), &b));
  EXPECT_NE(a.Key(), b.Key());
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"by", "user"}, {"slot_sec", "60"}, {"user", "x"}, {"end_ms", "0"}}) {
    QueryParams q = Q({{"start_ms", "60000"}, {"end_ms", "120000"}});
    q.erase(name);
    q.insert({name, value});
    std::optional<ParamError> e = ParseActive(q, &b);
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->param, name);
  }
}

// A key is the cache's only idea of "the same question": a value holding '&' or '=' must not pass for two
// parameters, or one token holder's request fills the cache for another's (seen: `[]` served instead of 6,767).
TEST(ParamsTest, KeysTellEveryDifferentQuestionApart) {
  const std::string start = std::to_string(Utc(2024, 7, 1) * 1000), end = std::to_string(Utc(2024, 7, 2) * 1000);
  auto series_key = [&](std::initializer_list<std::pair<const std::string, std::string>> filters) {
    QueryParams q = Q({{"start_ms", start}, {"end_ms", end}});
    q.insert(filters.begin(), filters.end());
    SeriesParams p;
    EXPECT_FALSE(ParseSeries(q, Zones(), &p));
    return p.Key();
  };
  EXPECT_NE(series_key({{"model", "gpt-4o-mini&group=default"}}),
            series_key({{"model", "gpt-4o-mini"}, {"group", "default"}}));
  EXPECT_NE(series_key({{"model", "a&channel=1"}}), series_key({{"model", "a"}, {"channel", "1"}}));
  EXPECT_NE(series_key({{"group", "x&model=y"}}), series_key({{"group", "x"}, {"model", "y"}}));
  EXPECT_NE(series_key({{"model", "a%26group%3Db"}}), series_key({{"model", "a&group=b"}}));
  EXPECT_EQ(series_key({{"model", "gpt-4o"}, {"group", "vip"}}), series_key({{"group", "vip"}, {"model", "gpt-4o"}}));
  // A user's or a token's series is its own question, in a key that does not depend on the parameters' order.
  EXPECT_NE(series_key({{"user", "7"}}), series_key({}));
  EXPECT_NE(series_key({{"user", "7"}}), series_key({{"token", "7"}}));
  EXPECT_EQ(series_key({{"user", "7"}, {"token", "9"}}), series_key({{"token", "9"}, {"user", "7"}}));

  auto top_key = [&](std::initializer_list<std::pair<const std::string, std::string>> filters) {
    QueryParams q = Q({{"start_ms", start}, {"end_ms", end}});
    q.insert(filters.begin(), filters.end());
    TopParams p;
    EXPECT_FALSE(ParseTop(q, &p));
    return p.Key();
  };
  EXPECT_NE(top_key({{"model", "gpt-4o-mini&group=default"}}),
            top_key({{"model", "gpt-4o-mini"}, {"group", "default"}}));
  auto heatmap_key = [&](std::initializer_list<std::pair<const std::string, std::string>> filters) {
    QueryParams q = Q({{"start_ms", start}, {"end_ms", end}});
    q.insert(filters.begin(), filters.end());
    HeatmapParams p;
    EXPECT_FALSE(ParseHeatmap(q, Zones(), &p));
    return p.Key();
  };
  EXPECT_NE(heatmap_key({{"model", "m&group=g"}}), heatmap_key({{"model", "m"}, {"group", "g"}}));

  auto detail_key = [&](std::initializer_list<std::pair<const std::string, std::string>> extra) {
    QueryParams q = Q({{"start_ms", start}, {"end_ms", end}, {"rule", "burst"}});
    q.insert(extra.begin(), extra.end());
    AnomalyParams p;
    EXPECT_FALSE(ParseAnomalyDetail(q, &p));
    return p.Key();
  };
  EXPECT_NE(detail_key({{"subject_id", "7&window_sec=60"}}), detail_key({{"subject_id", "7"}, {"window_sec", "60"}}));
  // Two thresholds that differ beyond the sixth decimal are two questions.
  auto sigma_key = [&](const std::string& sigma) {
    AnomalyParams p;
    EXPECT_FALSE(
        ParseAnomalies(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "big_request"}, {"sigma", sigma}}), &p));
    return p.Key();
  };
  EXPECT_NE(sigma_key("3.0000001"), sigma_key("3.0000002"));
  EXPECT_EQ(sigma_key("3"), sigma_key("3.0"));
}

TEST(ParamsTest, TopHeatmapAnomaliesAndLogs) {
  const std::string start = std::to_string(Utc(2024, 7, 1) * 1000), end = std::to_string(Utc(2024, 7, 2) * 1000);
  auto top_error = [](const QueryParams& q) {
    TopParams p;
    std::optional<ParamError> e = ParseTop(q, &p);
    return e ? e->param : "";
  };
  EXPECT_EQ(top_error(Q({{"start_ms", start}, {"end_ms", end}, {"by", "ip"}})), "by");
  EXPECT_EQ(top_error(Q({{"start_ms", start}, {"end_ms", end}, {"metric", "quota"}})), "metric");
  EXPECT_EQ(top_error(Q({{"start_ms", start}, {"end_ms", end}, {"limit", "0"}})), "limit");
  EXPECT_EQ(top_error(Q({{"start_ms", start}, {"end_ms", end}, {"limit", "1001"}})), "limit");
  EXPECT_EQ(top_error(Q({{"start_ms", start}, {"end_ms", std::to_string(Utc(2024, 12, 1) * 1000)}})), "end_ms");
  TopParams top;
  ASSERT_FALSE(ParseTop(Q({{"start_ms", start}, {"end_ms", end}, {"by", "model"}, {"metric", "quota_sum"}}), &top));
  EXPECT_EQ(top.metric, Metric::kQuota);
  EXPECT_EQ(top.limit, 50);

  HeatmapParams heat;
  std::optional<ParamError> heat_error =
      ParseHeatmap(Q({{"start_ms", start}, {"end_ms", end}, {"metric", "users"}}), Zones(), &heat);
  ASSERT_TRUE(heat_error);
  EXPECT_EQ(heat_error->param, "metric");
  ASSERT_FALSE(ParseHeatmap(Q({{"start_ms", start}, {"end_ms", end}, {"tz", "Asia/Kolkata"}}), Zones(), &heat));
  EXPECT_EQ(heat.range.start, Utc(2024, 6, 30, 23, 30));
  EXPECT_EQ(heat.boundaries.size(), 26u);

  auto anomaly_error = [](const QueryParams& q) {
    AnomalyParams p;
    std::optional<ParamError> e = ParseAnomalies(q, &p);
    return e ? e->param : "";
  };
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}})), "rule");
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "bursts"}})), "rule");
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "burst"}, {"sigma", "3"}})), "sigma");
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "big_request"}, {"window_sec", "3"}})),
            "window_sec");
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "burst"}, {"threshold", "1"}})),
            "threshold");
  EXPECT_EQ(anomaly_error(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "big_request"}, {"sigma", "nan"}})),
            "sigma");
  EXPECT_EQ(
      anomaly_error(Q({{"start_ms", start}, {"end_ms", std::to_string(Utc(2024, 7, 9) * 1000)}, {"rule", "burst"}})),
      "end_ms");
  AnomalyParams anomaly;
  ASSERT_FALSE(ParseAnomalies(
      Q({{"start_ms", start}, {"end_ms", end}, {"rule", "ip_many_users"}, {"users_threshold", "9"}}), &anomaly));
  observer::rules::Thresholds t;
  EXPECT_EQ(anomaly.overrides.ApplyTo(anomaly.rule, &t), "");
  EXPECT_EQ(t.ip_users_threshold, 9);
  std::optional<ParamError> detail =
      ParseAnomalyDetail(Q({{"start_ms", start}, {"end_ms", end}, {"rule", "burst"}}), &anomaly);
  ASSERT_TRUE(detail);
  EXPECT_EQ(detail->param, "subject_id");

  auto logs_error = [](const QueryParams& q) {
    LogsParams p;
    std::optional<ParamError> e = ParseLogs(q, &p);
    return e ? e->param : "";
  };
  EXPECT_EQ(logs_error(Q({{"start_ms", start}, {"end_ms", end}})), "user_id");
  EXPECT_EQ(logs_error(Q({{"start_ms", start}, {"end_ms", end}, {"user_id", "1"}, {"ip", "1.2.3.4"}})), "user_id");
  EXPECT_EQ(logs_error(Q({{"start_ms", start}, {"end_ms", end}, {"ip", "1.2.3.4' OR 1=1"}})), "ip");
  EXPECT_EQ(logs_error(Q({{"start_ms", start}, {"end_ms", end}, {"ip", "2001:db8::1"}})), "");
}

TEST(PlanTest, FinalizedWholeHoursReadTheHourlyTable) {
  const int64_t h = 3600;
  // Hourly buckets over a day, finalized until hour 20.
  std::vector<int64_t> hours;
  for (int64_t i = 0; i <= 24; ++i) hours.push_back(i * h);
  Plan plan = MakePlan(hours, 20 * h);
  EXPECT_EQ(plan.hourly_whole, (std::vector<Segment>{{0, 20 * h}}));
  EXPECT_TRUE(plan.hourly_mixed.empty());
  EXPECT_EQ(plan.logs, (std::vector<Segment>{{20 * h, 24 * h}}));
  EXPECT_STREQ(PlanSources(plan), "hourly+logs");
  EXPECT_STREQ(PlanSources(MakePlan(hours, kNothingFinalized)), "logs");
  EXPECT_STREQ(PlanSources(MakePlan(hours, 30 * h)), "hourly");
  // Minute buckets never contain a whole hour.
  std::vector<int64_t> minutes;
  for (int64_t i = 0; i <= 120; ++i) minutes.push_back(i * 60);
  EXPECT_FALSE(MakePlan(minutes, 30 * h).reads_hourly());
  // Days starting at :30 (a +05:30 zone): the whole hours inside each day, the half hours at its edges from logs.
  const int64_t o = 18 * h + 1800;
  plan = MakePlan({o, o + 24 * h, o + 48 * h}, 100 * h);
  EXPECT_EQ(plan.hourly_mixed,
            (std::vector<Segment>{{o + 1800, o + 24 * h - 1800}, {o + 24 * h + 1800, o + 48 * h - 1800}}));
  EXPECT_TRUE(plan.hourly_whole.empty());
  EXPECT_EQ(plan.logs, (std::vector<Segment>{
                           {o, o + 1800}, {o + 24 * h - 1800, o + 24 * h + 1800}, {o + 48 * h - 1800, o + 48 * h}}));
  // A top range from 10:15 to 14:45: hours 11-14 hourly, the quarter hours from logs.
  plan = MakePlan({10 * h + 900, 14 * h + 2700}, 100 * h);
  EXPECT_EQ(plan.hourly_mixed, (std::vector<Segment>{{11 * h, 14 * h}}));
  EXPECT_EQ(plan.logs, (std::vector<Segment>{{10 * h + 900, 11 * h}, {14 * h, 14 * h + 2700}}));
}

TEST(PlanTest, DaysLongerThanTheActiveCapAreNotWhole) {
  const int64_t h = 3600;
  // A 25-hour day (a daylight saving change) is whole; a 26-hour bucket (none of the slots) would not be.
  EXPECT_EQ(MakePlan({0, 25 * h}, 100 * h).hourly_whole, (std::vector<Segment>{{0, 25 * h}}));
  EXPECT_EQ(MakePlan({0, 26 * h}, 100 * h).hourly_mixed, (std::vector<Segment>{{0, 26 * h}}));
}

TEST(PlanTest, ActiveRowsCountOnlyWhenNewToTheirBucket) {
  const int64_t h = 3600;
  const Plan plan = MakePlan({0, 6 * h, 12 * h}, 100 * h);  // two 6-hour buckets
  size_t bucket = 9;
  EXPECT_TRUE(NewInBucket(plan, 0, 1, &bucket));  // previous hour before the range
  EXPECT_EQ(bucket, 0u);
  EXPECT_FALSE(NewInBucket(plan, 5 * h, 1, &bucket));  // seen at hour 4, same bucket
  EXPECT_TRUE(NewInBucket(plan, 5 * h, 6, &bucket));   // last seen at hour -1
  EXPECT_TRUE(NewInBucket(plan, 7 * h, 2, &bucket));   // last seen at hour 5, the bucket before
  EXPECT_EQ(bucket, 1u);
  EXPECT_FALSE(NewInBucket(plan, 7 * h, 1, &bucket));  // last seen at hour 6, this bucket
  EXPECT_TRUE(NewInBucket(plan, 11 * h, observer::agg::kActiveHoursCap, &bucket));
  EXPECT_FALSE(NewInBucket(plan, 12 * h, 30, &bucket));  // outside the range
  EXPECT_FALSE(NewInBucket(plan, -h, 30, &bucket));
}

TEST(UsageSqlTest, ReadsEachSourceWhereThePlanSaysAndNeverContent) {
  const observer::Dialect mysql(observer::DbEngine::kMySQL);
  const observer::agg::AggTables tables(mysql, "new-api");
  const Plan plan = MakePlan({0, 3600, 7200, 7260}, 3600);
  const std::string series = UsageByBucketSql(plan, {}, {tables, false});
  EXPECT_NE(series.find("FROM \"new-api\".\"agg_usage_hourly\" WHERE ((hour >= 0 AND hour < 3600))"), std::string::npos)
      << series;
  EXPECT_NE(series.find("FROM logs WHERE ((created_at >= 3600 AND created_at < 7260))"), std::string::npos) << series;
  EXPECT_NE(series.find("INTERVAL(created_at, 0, 3600, 7200)"), std::string::npos) << series;
  // With rollups: sums from the model/channel rollup, the whole hour's distinct counts from agg_active_hourly and
  // only the other buckets counted over rows.
  EXPECT_NE(UsageByBucketSql(plan, {}, {tables, true}).find("\"agg_usage_hourly_by_model_channel\" WHERE ((hour >= 0"),
            std::string::npos);
  EXPECT_NE(ActiveSql(plan, {}, {tables, true}).find("\"agg_active_hourly\" WHERE ((hour >= 0 AND hour < 3600))"),
            std::string::npos);
  const std::string distinct = DistinctByBucketSql(plan, {}, {tables, true});
  EXPECT_EQ(distinct.find("hour >= 0"), std::string::npos) << distinct;
  EXPECT_EQ(distinct.find("agg_usage_hourly"), std::string::npos) << distinct;
  EXPECT_NE(DistinctByBucketSql(plan, {}, {tables, false}).find("\"agg_usage_hourly\" WHERE ((hour >= 0"),
            std::string::npos);
  EXPECT_EQ(DistinctByBucketSql(MakePlan({0, 3600}, 3600), {}, {tables, true}), "");
  EXPECT_NE(TopSql(plan, {}, {tables, true}, Dimension::kUser, Metric::kTokens, 5).find("\"agg_usage_hourly_by_user\""),
            std::string::npos);
  EXPECT_NE(
      TopSql(plan, {}, {tables, true}, Dimension::kToken, Metric::kTokens, 5).find("\"agg_usage_hourly_by_token\""),
      std::string::npos);
  Filters filters;
  filters.model = "gpt-4o'";
  filters.group = "";
  filters.channel = 3;
  EXPECT_FALSE(CountsFromActive(plan, filters, {tables, true}));
  EXPECT_NE(DistinctByBucketSql(plan, filters, {tables, true}).find("\"agg_usage_hourly\" WHERE"), std::string::npos);
  const std::string top = TopSql(plan, filters, {tables, true}, Dimension::kToken, Metric::kQuota, 5);
  EXPECT_NE(top.find("\"agg_usage_hourly\" WHERE"), std::string::npos) << top;  // the token rollup has no model
  EXPECT_NE(top.find("model_name = X'6770742d346f27'"), std::string::npos) << top;
  EXPECT_NE(top.find("CAST(COALESCE(\"group\", '') AS BINARY) = X''"), std::string::npos) << top;
  EXPECT_NE(top.find("ORDER BY quota DESC, k LIMIT 5"), std::string::npos) << top;
  EXPECT_NE(TopSql(plan, filters, {tables, true}, Dimension::kModel, Metric::kQuota, 5).find("by_model_channel"),
            std::string::npos);
  for (const std::string& sql :
       {series, distinct, top, LogRowsSql(SubjectCondition(mysql, LogSubject::kIp, "10.0.0.1"), {0, 60}, 10),
        BreakdownSql(mysql, Breakdown::kUsers, RequestCondition(5), {0, 60}, 10)}) {
    EXPECT_EQ(sql.find("content"), std::string::npos) << sql;
    EXPECT_EQ(sql.find("key"), std::string::npos) << sql;
  }
  EXPECT_EQ(SubjectCondition(mysql, LogSubject::kIp, "x'y"), "ip = X'782779'");
}

// A filter on one model, channel or group counts the distinct users and tokens of whole hourly buckets from
// agg_active_by_value's rows of that value, when the table holds those hours; two filters, or hours before the table's
// first, count rows of agg_usage_hourly.
TEST(UsageSqlTest, OneValueFiltersCountDistinctFromTheActiveRowsOfTheirValue) {
  const observer::Dialect mysql(observer::DbEngine::kMySQL);
  const observer::agg::AggTables tables(mysql, "new-api");
  const Plan plan = MakePlan({0, 3600, 7200, 7260}, 3600);
  Filters model;
  model.model = "gpt-4o";
  Filters channel;
  channel.channel = 3;
  const HourlySources from_zero{tables, true, 0};
  EXPECT_TRUE(CountsFromActive(plan, model, from_zero));
  EXPECT_TRUE(CountsFromActive(plan, channel, from_zero));
  const std::string active = ActiveSql(plan, model, from_zero);
  EXPECT_NE(active.find("FROM \"new-api\".\"agg_active_by_value\" WHERE dimension = 'model' AND value = "
                        "X'6770742d346f' AND ((hour >= 0 AND hour < 3600))"),
            std::string::npos)
      << active;
  EXPECT_NE(ActiveSql(plan, channel, from_zero).find("dimension = 'channel' AND value = X'33'"), std::string::npos);
  // The whole bucket is left to the active rows, the others are counted over logs rows.
  const std::string distinct = DistinctByBucketSql(plan, model, from_zero);
  EXPECT_EQ(distinct.find("agg_usage_hourly"), std::string::npos) << distinct;
  EXPECT_NE(distinct.find("FROM logs WHERE"), std::string::npos) << distinct;
  // A bucket of finalized hours and logs counts its hours over agg_usage_hourly, with the filter.
  const std::string mixed = DistinctByBucketSql(MakePlan({0, 7200}, 3600), model, from_zero);
  EXPECT_NE(mixed.find("\"agg_usage_hourly\" WHERE ((hour >= 0 AND hour < 3600)) AND reqs > 0 AND model_name = "),
            std::string::npos)
      << mixed;
  Filters two = model;
  two.channel = 3;
  EXPECT_FALSE(CountsFromActive(plan, two, from_zero));
  EXPECT_FALSE(CountsFromActive(plan, model, {tables, true, 3600}));  // the whole bucket [0, 3600) predates the table
  EXPECT_FALSE(CountsFromActive(plan, model, {tables, true}));        // no table
  EXPECT_FALSE(CountsFromActive(plan, model, {tables, false, 0}));    // no rollups
}

// A user or token filter reads the rollup keyed by it when nothing else needs another key, agg_usage_hourly otherwise
// (the model/channel rollup has neither column); the rows of logs are filtered alike.
TEST(UsageSqlTest, UserAndTokenFiltersReadATableThatHasTheirColumn) {
  const observer::Dialect mysql(observer::DbEngine::kMySQL);
  const observer::agg::AggTables tables(mysql, "new-api");
  const Plan plan = MakePlan({0, 3600, 7200, 7260}, 3600);
  Filters user;
  user.user = 7;
  Filters token;
  token.token = 9;
  auto reads = [](const std::string& sql, const std::string& table) {
    return sql.find("\"" + table + "\" WHERE") != std::string::npos;
  };
  const std::string user_series = UsageByBucketSql(plan, user, {tables, true});
  EXPECT_TRUE(reads(user_series, "agg_usage_hourly_by_user")) << user_series;
  EXPECT_NE(user_series.find("AND user_id = 7"), std::string::npos) << user_series;
  EXPECT_NE(user_series.find("AND COALESCE(user_id, 0) = 7"), std::string::npos) << user_series;
  EXPECT_TRUE(reads(UsageByBucketSql(plan, token, {tables, true}), "agg_usage_hourly_by_token"));
  EXPECT_FALSE(CountsFromActive(plan, user, {tables, true}));
  EXPECT_TRUE(reads(DistinctByBucketSql(plan, token, {tables, true}), "agg_usage_hourly"));
  EXPECT_TRUE(
      reads(TopSql(plan, user, {tables, true}, Dimension::kUser, Metric::kTokens, 5), "agg_usage_hourly_by_user"));
  EXPECT_TRUE(reads(TopSql(plan, user, {tables, true}, Dimension::kToken, Metric::kTokens, 5), "agg_usage_hourly"));
  EXPECT_TRUE(reads(TopSql(plan, token, {tables, true}, Dimension::kModel, Metric::kTokens, 5), "agg_usage_hourly"));
  EXPECT_TRUE(reads(TopSql(plan, token, {tables, true}, Dimension::kChannel, Metric::kTokens, 5), "agg_usage_hourly"));
  Filters both = user;
  both.token = 9;
  EXPECT_TRUE(reads(UsageByBucketSql(plan, both, {tables, true}), "agg_usage_hourly"));
  Filters user_model = user;
  user_model.model = "gpt-4o";
  EXPECT_TRUE(reads(UsageByBucketSql(plan, user_model, {tables, true}), "agg_usage_hourly"));
  EXPECT_TRUE(reads(UsageByBucketSql(plan, user, {tables, false}), "agg_usage_hourly"));
}

TEST(UsageSqlTest, PostgresReadsTheSameSourcesInItsDialect) {
  const observer::Dialect postgres(observer::DbEngine::kPostgres);
  const observer::agg::AggTables tables(postgres, "observer");
  const Plan plan = MakePlan({0, 3600, 7200, 7260}, 3600);
  const std::string series = UsageByBucketSql(plan, {}, {tables, true});
  EXPECT_NE(series.find("FROM \"observer\".\"agg_usage_hourly_by_model_channel\" WHERE ((hour >= 0 AND hour < 3600))"),
            std::string::npos)
      << series;
  EXPECT_NE(series.find("width_bucket(created_at, ARRAY[0, 3600, 7200]::bigint[])"), std::string::npos) << series;
  EXPECT_EQ(series.find("IF("), std::string::npos) << series;
  Filters filters;
  filters.model = "gpt-4o'";
  filters.group = "";
  const std::string top = TopSql(plan, filters, {tables, true}, Dimension::kModel, Metric::kQuota, 5);
  EXPECT_NE(top.find("model_name = 'gpt-4o'''"), std::string::npos) << top;
  EXPECT_NE(top.find("COALESCE(\"group\", '') = ''"), std::string::npos) << top;
  EXPECT_EQ(top.find("BINARY"), std::string::npos) << top;
  EXPECT_EQ(SubjectCondition(postgres, LogSubject::kIp, "x'y"), "ip = 'x''y'");
}

// Each engine's own failures (as its backend classifies them) answer alike: timeouts and lock waits 504, an
// unreachable or full server 503, anything else 500 with the engine's code.
TEST(AnswerTest, DatabaseFailuresByKindOnBothEngines) {
  auto mysql = [](unsigned code, const char* message = "") {
    return observer::DbStatus::Failure(observer::ClassifyMysqlError(code, message), message, code);
  };
  auto postgres = [](const char* sqlstate) {
    return observer::DbStatus::Failure(observer::ClassifyPostgresError(sqlstate), "", 0, sqlstate);
  };
  const std::pair<observer::DbStatus, int> cases[] = {
      {mysql(3024), 504},                                                      // MySQL MAX_EXECUTION_TIME
      {mysql(1969), 504},                                                      // MariaDB max_statement_time
      {mysql(1205), 504},                                                      // lock wait timeout
      {mysql(2013, "Lost connection to server during query (timeout)"), 504},  // client read timeout
      {mysql(2013), 503},
      {mysql(2003), 503},
      {mysql(1040), 503},  // too many connections
      {mysql(1226), 503},  // max_user_connections
      {mysql(1146), 500},
      {postgres("57014"), 504},  // statement_timeout
      {postgres("55P03"), 504},  // lock_timeout
      {postgres("08006"), 503},
      {postgres("57P01"), 503},  // admin shutdown
      {postgres("53300"), 503},  // too many connections
      {postgres("42P01"), 500},
      {observer::DbStatus::Failure(observer::DbError::kClientTimeout, "no answer"), 504},
  };
  for (const auto& [status, http] : cases) {
    const Answer answer = DbFailure(status);
    EXPECT_EQ(answer.status, http) << status.Code();
    EXPECT_EQ(answer.body["code"], http) << status.Code();
  }
  EXPECT_EQ(DbFailure(postgres("42P01")).body["error"], "database error 42P01");
  EXPECT_EQ(DbFailure(mysql(1146)).body["error"], "database error 1146");
}

// Whether a request with this Authorization header (none when empty) is let in.
bool Authorized(const std::string& authorization, const AccessOptions& access) {
  httplib::Request req;
  req.remote_addr = "127.0.0.1";
  if (!authorization.empty()) req.headers.emplace("Authorization", authorization);
  return Authenticate(req, access).has_value();
}

TEST(AccessTest, BearerTokenAndCors) {
  AccessOptions open;
  open.open = true;
  EXPECT_TRUE(Authorized("", open));
  AccessOptions closed;
  closed.token = "s3cret-token";
  EXPECT_TRUE(Authorized("Bearer s3cret-token", closed));
  EXPECT_FALSE(Authorized("", closed));
  EXPECT_FALSE(Authorized("Bearer s3cret-toke", closed));
  EXPECT_FALSE(Authorized("Bearer s3cret-token2", closed));
  EXPECT_FALSE(Authorized("Basic s3cret-token", closed));
  EXPECT_FALSE(Authorized("Bearer ", closed));
  EXPECT_TRUE(observer::ConstantTimeEquals("", ""));
  EXPECT_FALSE(observer::ConstantTimeEquals("a", ""));

  closed.cors_origins = {"https://ops.example.com"};
  httplib::Request req;
  httplib::Response res;
  req.set_header("Origin", "https://evil.example.com");
  ApplyCors(req, res, closed);
  EXPECT_FALSE(res.has_header("Access-Control-Allow-Origin"));
  httplib::Request allowed;
  allowed.set_header("Origin", "https://ops.example.com");
  ApplyCors(allowed, res, closed);
  EXPECT_EQ(res.get_header_value("Access-Control-Allow-Origin"), "https://ops.example.com");
}

}  // namespace
}  // namespace exporter::api
