// Names of users, tokens and channels by id, from new-api's main database.
#include "api/entity_names.h"

#include <algorithm>

namespace exporter::api {

std::string EntityNamesSql(Dimension by, const std::vector<int64_t>& ids) {
  std::string columns;
  switch (by) {
    case Dimension::kUser: columns = "id, username, NULL FROM users"; break;
    case Dimension::kToken: columns = "id, name, user_id FROM tokens"; break;
    case Dimension::kChannel: columns = "id, name, NULL FROM channels"; break;
    case Dimension::kModel: return "";
  }
  if (ids.empty()) return "";
  std::string list;
  for (int64_t id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
  return "SELECT " + columns + " WHERE id IN (" + list + ")";
}

EntityNames::EntityNames(std::optional<observer::DbOptions> main, int connections, std::chrono::milliseconds wait)
    : pool_(main ? std::make_unique<DbPool>(std::move(*main), connections) : nullptr), wait_(wait) {}

observer::DbStatus EntityNames::Lookup(observer::DbClient& request_db, Dimension by, const std::vector<int64_t>& ids,
                                       std::map<int64_t, EntityName>* names) {
  const std::string sql = EntityNamesSql(by, ids);
  if (sql.empty()) return observer::DbStatus::Ok();
  std::optional<DbPool::Lease> lease = pool_ ? pool_->Acquire(wait_) : std::nullopt;
  if (pool_ && !lease) {
    return observer::DbStatus::Failure(observer::DbError::kTooManyConnections,
                                       "every connection to the main database is busy");
  }
  observer::DbClient* db = lease ? &lease->db() : &request_db;
  if (!db->connected()) {
    if (observer::DbStatus s = db->Connect(); !s.ok) return s;
  }
  return db->QueryEach(sql, [names](const observer::DbRowView& row) {
    (*names)[observer::DbInt(row[0])] = {observer::DbString(row[1]), observer::DbInt(row[2])};
  });
}

observer::DbStatus AddChannelNames(EntityNames& names, observer::DbClient& request_db, nlohmann::json& rows) {
  std::vector<int64_t> ids;
  for (const nlohmann::json& row : rows) ids.push_back(row.value("channel_id", int64_t{0}));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<int64_t, EntityName> found;
  if (observer::DbStatus s = names.Lookup(request_db, Dimension::kChannel, ids, &found); !s.ok) return s;
  for (nlohmann::json& row : rows) {
    const auto name = found.find(row.value("channel_id", int64_t{0}));
    row["channel_name"] = name == found.end() ? "" : name->second.name;
  }
  return observer::DbStatus::Ok();
}

}  // namespace exporter::api
