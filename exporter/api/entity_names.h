// Names of users, tokens and channels by id for the JSON API's answers, read from new-api's main database: on the
// request's own connection when logs live there too, else on a small pool of its own (logs elsewhere: LOG_DSN_RO).
// Answers are computed from logs and the observer's tables first; names are looked up for the rows they return.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/db_pool.h"
#include "api/params.h"
#include "observer/db_client.h"

namespace exporter::api {

struct EntityName {
  std::string name;      // users.username, tokens.name or channels.name
  int64_t owner_id = 0;  // tokens: the owning user
};

// SELECT id, name, owner FROM users / tokens / channels WHERE id IN (ids); "" for the model dimension (no table).
std::string EntityNamesSql(Dimension by, const std::vector<int64_t>& ids);

class EntityNames {
 public:
  // main: the main database's connection options when logs live elsewhere; nullopt when they share a database.
  EntityNames(std::optional<observer::DbOptions> main, int connections, std::chrono::milliseconds wait);

  // Fills names for the ids that exist (missing ids stay absent). request_db is the request's connection to logs.
  observer::DbStatus Lookup(observer::DbClient& request_db, Dimension by, const std::vector<int64_t>& ids,
                            std::map<int64_t, EntityName>* names);

 private:
  std::unique_ptr<DbPool> pool_;  // null when names are read on the request's connection
  std::chrono::milliseconds wait_;
};

// Sets "channel_name" beside the "channel_id" of each object in rows (an array), with one lookup: channels new-api
// no longer has get "".
observer::DbStatus AddChannelNames(EntityNames& names, observer::DbClient& request_db, nlohmann::json& rows);

}  // namespace exporter::api
