// The simulated population — users, tokens, channels and the routing table — generated from the seed, plus the
// INSERT statements for new-api's entity tables. Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog.h"
#include "observer/dialect.h"
#include "random.h"

namespace sim {

struct User {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  std::string password;  // fake bcrypt hash (secret)
  std::string email;
  std::string access_token;  // management token (secret); empty = NULL
  int role = 1;              // 1 common, 100 root
  int status = 1;            // 1 enabled, 2 disabled
  std::string group;
  std::string aff_code;
  int64_t created_at = 0;
  int64_t quota = 0;  // remaining balance in quota units (before history spending)
  bool record_ip_log = false;
  std::string home_ip;
  std::string mobile_ip;       // empty when the user has none
  double traffic_weight = 0;   // relative share of relay requests (Zipf-like; 0 when disabled)
  std::vector<size_t> tokens;  // indexes into Population::tokens
};

struct Token {
  int64_t id = 0;
  int64_t user_id = 0;
  size_t user_index = 0;
  std::string key;  // 48 [a-zA-Z0-9] chars, no sk- prefix (secret)
  std::string name;
  int status = 1;  // 1 enabled, 2 disabled, 3 expired
  int64_t created_time = 0;
  int64_t expired_time = -1;
  int64_t remain_quota = 0;
  bool unlimited_quota = true;
  double weight = 0;  // share within its user's traffic (0 when not enabled)
};

struct Channel {
  int64_t id = 0;
  ChannelTemplate spec;
  std::string key;  // secret
  double balance_usd = 0;
  int64_t response_time_ms = 0;
  int64_t test_time = 0;
  int64_t created_time = 0;
};

struct Population {
  std::vector<User> users;  // users[i].id == i + 1; users[0] is root
  std::vector<Token> tokens;
  std::vector<Channel> channels;
  // routes[model index][group index]: enabled channels that can serve the model for the group.
  struct Route {
    std::vector<size_t> channels;  // indexes into channels
    WeightedPicker picker;
  };
  std::vector<std::vector<Route>> routes;
  size_t flaky_channel = 0;          // index into channels
  std::vector<size_t> family_users;  // three users sharing one home IP (a family/office)
  std::string family_ip;
  int64_t setup_time = 0;  // when the installation was "initialised"
};

struct PopulationOptions {
  uint64_t seed = 42;
  int users = 2000;
  int channels = 12;
  int64_t history_start = 0;  // accounts are created before this
};

Population BuildPopulation(const Catalog& catalog, const PopulationOptions& options);

// Index of a group in the catalog (for routes), -1 when unknown.
int GroupIndex(const Catalog& catalog, const std::string& group);

// Lifetime counters the history adds up, written into the entity tables so they agree with the logs.
struct EntityTotals {
  std::vector<int64_t> user_used_quota, user_request_count, user_last_login;
  std::vector<int64_t> token_used_quota, token_accessed_time;
  std::vector<int64_t> channel_used_quota;

  explicit EntityTotals(const Population& population);
};

// Multi-row INSERT statements for users, tokens, channels, abilities, options, vendors, models, setups, with
// explicit ids (on PostgreSQL the caller advances the sequences afterwards).
std::vector<std::string> EntityInsertStatements(const observer::Dialect& dialect, const Catalog& catalog,
                                                const Population& population, const EntityTotals& totals, int64_t now);

}  // namespace sim
