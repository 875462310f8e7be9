// Hourly rollup of usage rows and its upsert statements.
#include "hourly_rollup.h"

#include <algorithm>

#include "observer/agg_tables.h"

namespace aggregator {

size_t HourKeyHash::operator()(const HourKey& k) const {
  size_t h = std::hash<int64_t>()(k.hour);
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<int64_t>()(k.user_id));
  mix(std::hash<int64_t>()(k.token_id));
  mix(std::hash<std::string>()(k.model_name));
  mix(std::hash<int64_t>()(k.channel_id));
  mix(std::hash<std::string>()(k.group));
  mix(k.is_stream ? 1 : 0);
  return h;
}

bool HourlyRollup::Add(const observer::newapi::LogRow& row) {
  observer::newapi::UsageSums sums;
  if (!observer::newapi::AddUsage(row, &sums)) return false;
  HourKey key{HourOf(row.created_at), row.user_id, row.token_id, row.model_name,
              row.channel_id,         row.group,   row.is_stream};
  rows_[std::move(key)].Add(sums);
  return true;
}

std::string KeyColumnsOf(KeyShape shape) {
  switch (shape) {
    case KeyShape::kByUser: return "user_id";
    case KeyShape::kByToken: return "token_id";
    case KeyShape::kByModelChannel: return "model_name, channel_id, \"group\", is_stream";
    case KeyShape::kUsage: break;
  }
  return "user_id, token_id, model_name, channel_id, \"group\", is_stream";
}

std::string KeyValuesOf(const HourKey& k, KeyShape shape, const std::function<std::string(std::string_view)>& quote) {
  const std::string model_channel =
      quote(k.model_name) + "," + std::to_string(k.channel_id) + "," + quote(k.group) + "," + (k.is_stream ? "1" : "0");
  switch (shape) {
    case KeyShape::kByUser: return std::to_string(k.user_id);
    case KeyShape::kByToken: return std::to_string(k.token_id);
    case KeyShape::kByModelChannel: return model_channel;
    case KeyShape::kUsage: break;
  }
  return std::to_string(k.user_id) + "," + std::to_string(k.token_id) + "," + model_channel;
}

HourRows RollupOf(const HourRows& rows, KeyShape shape) {
  HourRows out;
  for (const auto& [key, sums] : rows) {
    HourKey k{key.hour, 0, 0, "", 0, "", false};
    switch (shape) {
      case KeyShape::kByUser: k.user_id = key.user_id; break;
      case KeyShape::kByToken: k.token_id = key.token_id; break;
      case KeyShape::kByModelChannel:
        k.model_name = key.model_name;
        k.channel_id = key.channel_id;
        k.group = key.group;
        k.is_stream = key.is_stream;
        break;
      case KeyShape::kUsage: k = key; break;
    }
    out[std::move(k)].Add(sums);
  }
  return out;
}

std::vector<std::string> UpsertRows(const HourRows& rows, KeyShape shape, const std::string& table, size_t batch,
                                    const std::function<std::string(std::string_view)>& quote,
                                    std::string_view upsert_clause, const HourRows& stored) {
  // Sorted, so the same data always produces the same statements (and the same lock order).
  std::vector<const std::pair<const HourKey, observer::newapi::UsageSums>*> sorted;
  sorted.reserve(rows.size());
  for (const auto& entry : rows) {
    const auto same = stored.find(entry.first);
    if (same == stored.end() || !(same->second == entry.second)) sorted.push_back(&entry);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const HourKey& x = a->first;
    const HourKey& y = b->first;
    return std::tie(x.hour, x.user_id, x.token_id, x.model_name, x.channel_id, x.group, x.is_stream) <
           std::tie(y.hour, y.user_id, y.token_id, y.model_name, y.channel_id, y.group, y.is_stream);
  });
  std::vector<std::string> statements;
  std::string sql;
  size_t in_statement = 0;
  for (const auto* entry : sorted) {
    if (in_statement == 0) {
      sql = "INSERT INTO " + table + " (hour, " + KeyColumnsOf(shape) + ", " + observer::agg::MeasureColumns() +
            ") VALUES ";
    } else {
      sql += ",";
    }
    sql += "(" + std::to_string(entry->first.hour) + "," + KeyValuesOf(entry->first, shape, quote) + "," +
           observer::agg::MeasureValues(entry->second) + ")";
    if (++in_statement == batch) {
      statements.push_back(sql + std::string(upsert_clause));
      in_statement = 0;
    }
  }
  if (in_statement != 0) statements.push_back(sql + std::string(upsert_clause));
  return statements;
}

std::vector<std::string> HourlyRollup::UpsertStatements(const std::string& table, size_t batch,
                                                        const std::function<std::string(std::string_view)>& quote,
                                                        std::string_view upsert_clause, const HourRows& stored) const {
  return UpsertRows(rows_, KeyShape::kUsage, table, batch, quote, upsert_clause, stored);
}

}  // namespace aggregator
