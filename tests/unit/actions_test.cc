// Response action unit tests: the ACTIONS_FILE parser and the decisions against a recording stand-in for new-api's
// admin API (allow list, decoys, dry run, once per user, hourly cap, undo, retries with backoff), block_token against
// a recording blocklist and token keys (the hash, never the key; the missing grant), and the blocklist file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actions/actions.h"

namespace aggregator::actions {
namespace {

using std::chrono::milliseconds;

// Records every admin call; answers with `status` and `body`.
struct FakeNewApi {
  struct Call {
    std::string target;
    Headers headers;
    nlohmann::json body;
  };
  std::vector<Call> calls;
  std::vector<milliseconds> sleeps;
  relay::HttpReply reply{true, "", 200, R"({"success":true,"message":""})"};

  AdminApi Api() {
    return AdminApi(
        {"http://newapi.test:3000/", "secret-access-token", 1, 3, milliseconds(1000), {}},
        [this](const relay::Url& url, const Headers& headers, const std::string& body) {
          calls.push_back({url.target, headers, nlohmann::json::parse(body)});
          return reply;
        },
        [this](milliseconds wait) { sleeps.push_back(wait); });
  }
};

relay::Alert Firing(const std::string& rule, const std::string& subject_type, const std::string& subject_id) {
  relay::Alert alert;
  alert.status = "firing";
  alert.labels = {
      {"alertname", "RiskBurst"}, {"rule", rule}, {"subject_type", subject_type}, {"subject_id", subject_id}};
  alert.annotations = {{"summary", "Token leaked (id " + subject_id + ") is sending a burst of requests"}};
  return alert;
}

relay::Notification Of(std::vector<relay::Alert> alerts) {
  relay::Notification notification;
  notification.alerts = std::move(alerts);
  return notification;
}

// Token id -> owner: 101 -> 7 (the injected burst), 102 -> 8 (decoy), 103 -> 9 (allow-listed user), 104 -> 10.
std::optional<int64_t> Owner(int64_t token_id) {
  static const std::map<int64_t, int64_t> owners = {{101, 7}, {102, 8}, {103, 9}, {104, 10}, {105, 11}, {106, 12}};
  auto it = owners.find(token_id);
  return it == owners.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

ActionsConfig Live() {
  std::string error;
  std::optional<ActionsConfig> config = ParseActionsConfig(R"(
rules:
  burst: {disable_user: true, dry_run: false}
  multi_user_token: {disable_user: true}
  ip_many_users: {disable_user: true, dry_run: false}
allow:
  users: [9]
  tokens: [104]
)",
                                                           &error);
  EXPECT_TRUE(config) << error;
  return *config;
}

class ResponderTest : public ::testing::Test {
 protected:
  FakeNewApi newapi;
  AdminApi api = newapi.Api();
  MemoryAuditStore audit;
  int64_t now = 1'800'000'000;
  Responder responder{{.max_per_hour = 3}, audit, api, Owner, [this] { return now; }};
  void SetUp() override { responder.SetConfig(Live()); }
};

TEST(ActionsConfigTest, OffAndDryByDefault) {
  std::string error;
  std::optional<ActionsConfig> config = ParseActionsConfig("rules:\n  burst: {disable_user: true}\n", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_TRUE(config->rules.at("burst").dry_run) << "a rule that does not say dry_run: false only pretends";
  EXPECT_TRUE(ParseActionsConfig("", &error)->rules.empty());
  EXPECT_FALSE(ParseActionsConfig("rules:\n  burst: {disable: true}\n", &error));
  EXPECT_NE(error.find("rules.burst: unknown key 'disable'"), std::string::npos) << error;
  EXPECT_FALSE(ParseActionsConfig("allow:\n  users: [abc]\n", &error));
  EXPECT_NE(error.find("allow.users"), std::string::npos) << error;
  EXPECT_FALSE(ParseActionsConfig("rule: {}\n", &error));
}

TEST_F(ResponderTest, TheInjectedBurstDisablesExactlyItsOwnerOnce) {
  std::vector<Outcome> outcomes = responder.Handle(Of({Firing("burst", "token", "101")}));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].result, "done");
  ASSERT_EQ(newapi.calls.size(), 1u);
  EXPECT_EQ(newapi.calls[0].target, "/api/user/manage");
  EXPECT_EQ(newapi.calls[0].body, (nlohmann::json{{"id", 7}, {"action", "disable"}}));
  EXPECT_EQ(newapi.calls[0].headers, (Headers{{"Authorization", "Bearer secret-access-token"}, {"New-Api-User", "1"}}));
  EXPECT_NE(outcomes[0].message.find("disabled user 7"), std::string::npos) << outcomes[0].message;
  EXPECT_NE(outcomes[0].message.find("undo: newapi-aggregator-undo 1"), std::string::npos) << outcomes[0].message;
  EXPECT_EQ(outcomes[0].message.find("secret-access-token"), std::string::npos);

  // Alertmanager repeats the notification (repeat_interval, a second replica): nothing more happens.
  now += 600;
  outcomes = responder.Handle(Of({Firing("burst", "token", "101")}));
  EXPECT_EQ(outcomes[0].result, "already_active");
  EXPECT_EQ(newapi.calls.size(), 1u);
  ASSERT_EQ(audit.entries().size(), 1u);
  const AuditEntry& entry = audit.entries()[0];
  EXPECT_EQ(entry.actor, "rule:burst");
  EXPECT_EQ(entry.user_id, 7);
  EXPECT_EQ(entry.subject_id, "101");
  EXPECT_EQ(entry.result, "done");
  EXPECT_NE(entry.evidence.find("RiskBurst"), std::string::npos);
}

TEST_F(ResponderTest, DryRunCallsNothingAndSaysWhatWouldHaveHappened) {
  std::vector<Outcome> outcomes = responder.Handle(Of({Firing("multi_user_token", "token", "101")}));
  EXPECT_EQ(outcomes[0].result, "dry_run");
  EXPECT_NE(outcomes[0].message.find("[dry run] would have disabled user 7"), std::string::npos);
  EXPECT_TRUE(newapi.calls.empty());
  EXPECT_EQ(audit.entries().at(0).result, "dry_run");
}

TEST_F(ResponderTest, AllowListedDecoyAndOtherSubjectsAreNeverTouched) {
  std::vector<Outcome> outcomes = responder.Handle(Of({
      Firing("burst", "token", "103"),            // its owner (9) is allow-listed
      Firing("burst", "token", "104"),            // the token itself is allow-listed
      Firing("big_request", "token", "102"),      // a rule without actions
      Firing("ip_many_users", "ip", "10.0.0.1"),  // not a token
      Firing("burst", "token", "999"),            // no owner known
  }));
  EXPECT_EQ(outcomes[0].result, "allow_listed");
  EXPECT_EQ(outcomes[1].result, "allow_listed");
  EXPECT_EQ(outcomes[2].result, "not_enabled");
  EXPECT_EQ(outcomes[3].result, "not_a_token");
  EXPECT_EQ(outcomes[4].result, "no_user");
  EXPECT_TRUE(newapi.calls.empty());
  relay::Alert resolved = Firing("burst", "token", "101");
  resolved.status = "resolved";
  EXPECT_EQ(responder.Handle(Of({resolved}))[0].result, "resolved");
  EXPECT_TRUE(newapi.calls.empty());
}

TEST_F(ResponderTest, TheHourlyCapHolds) {
  std::vector<Outcome> outcomes =
      responder.Handle(Of({Firing("burst", "token", "101"), Firing("burst", "token", "102"),
                           Firing("burst", "token", "105"), Firing("burst", "token", "106")}));
  EXPECT_EQ(outcomes[2].result, "done");
  EXPECT_EQ(outcomes[3].result, "over_hourly_cap");
  EXPECT_NE(outcomes[3].message.find("was NOT disabled"), std::string::npos);
  EXPECT_EQ(newapi.calls.size(), 3u);
  now += 3601;  // the first three leave the window
  EXPECT_EQ(responder.Handle(Of({Firing("burst", "token", "106")}))[0].result, "done");
  EXPECT_EQ(newapi.calls.size(), 4u);
}

TEST_F(ResponderTest, UndoReEnablesOnce) {
  const int64_t id = responder.Handle(Of({Firing("burst", "token", "101")}))[0].audit_id;
  now += 60;
  Outcome undo = responder.Undo(id, "alice");
  EXPECT_EQ(undo.result, "done");
  ASSERT_EQ(newapi.calls.size(), 2u);
  EXPECT_EQ(newapi.calls[1].body, (nlohmann::json{{"id", 7}, {"action", "enable"}}));
  const AuditEntry& entry = audit.entries().at(1);
  EXPECT_EQ(entry.action, "enable_user");
  EXPECT_EQ(entry.actor, "undo:alice");
  EXPECT_EQ(entry.undo_of, id);
  EXPECT_EQ(audit.entries().at(0).undone_by, entry.id);
  EXPECT_EQ(responder.Undo(id, "alice").result, "already_undone");
  EXPECT_EQ(responder.Undo(entry.id, "alice").result, "not_found") << "an undo is not undone";
  EXPECT_EQ(newapi.calls.size(), 2u);
  // Undone, the user may be acted on again when the rule fires anew.
  EXPECT_EQ(responder.Handle(Of({Firing("burst", "token", "101")}))[0].result, "done");
}

TEST_F(ResponderTest, AFailingApiIsRetriedWithBackoffAndReportedNeverLoops) {
  newapi.reply = {true, "", 502, "bad gateway"};
  Outcome outcome = responder.Handle(Of({Firing("burst", "token", "101")}))[0];
  EXPECT_EQ(outcome.result, "failed");
  EXPECT_EQ(newapi.calls.size(), 3u) << "max_attempts";
  EXPECT_EQ(newapi.sleeps, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000)}));
  EXPECT_NE(outcome.message.find("FAILED to disable user 7"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("after 3 attempt(s)"), std::string::npos) << outcome.message;
  EXPECT_EQ(audit.entries().at(0).result, "failed");

  // A refusal (expired access token) is final at once.
  newapi.calls.clear();
  newapi.reply = {true, "", 200, R"({"success":false,"message":"access token invalid"})"};
  now += 60;
  outcome = responder.Handle(Of({Firing("burst", "token", "102")}))[0];
  EXPECT_EQ(outcome.result, "failed");
  EXPECT_EQ(newapi.calls.size(), 1u);
  EXPECT_NE(outcome.message.find("access token invalid"), std::string::npos);

  // No answer at all: retried the same bounded way.
  newapi.calls.clear();
  newapi.reply = {false, "Connection", 0, ""};
  EXPECT_EQ(responder.Handle(Of({Firing("burst", "token", "105")}))[0].result, "failed");
  EXPECT_EQ(newapi.calls.size(), 3u);
}

// Records every change; `fail` makes the next changes fail.
struct FakeBlocklist : Blocklist {
  std::set<std::string> hashes;
  std::vector<std::string> changes;  // "+<hash>" / "-<hash>"
  bool fail = false;
  bool configured() const override { return true; }
  BlocklistResult Add(const std::string& hash) override {
    changes.push_back("+" + hash);
    if (fail) return {false, "Redis set blocked: no answer"};
    hashes.insert(hash);
    return {true, "Redis set blocked"};
  }
  BlocklistResult Remove(const std::string& hash) override {
    changes.push_back("-" + hash);
    if (fail) return {false, "Redis set blocked: no answer"};
    hashes.erase(hash);
    return {true, "Redis set blocked"};
  }
};

TEST(TokenHashTest, IsTheSha256OfTheKeyAsClientsSendIt) {
  // printf 'sk-abc' | sha256sum
  EXPECT_EQ(TokenHash("abc"), "1460db1b6902f8b1fc2a40d9381a24d0fd22c3bc1b2c6f999c521da73776fbe0");
}

TEST(ActionsConfigTest, BlockTokenIsItsOwnOptInAndDryByDefault) {
  std::string error;
  std::optional<ActionsConfig> config = ParseActionsConfig("rules:\n  burst: {block_token: true}\n", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_TRUE(config->rules.at("burst").block_token);
  EXPECT_FALSE(config->rules.at("burst").disable_user);
  EXPECT_TRUE(config->rules.at("burst").dry_run);
  EXPECT_FALSE(ParseActionsConfig("rules:\n  burst: {block: true}\n", &error));
  EXPECT_NE(error.find("(disable_user, block_token, dry_run)"), std::string::npos) << error;
}

// Token keys as new-api stores them (no sk-): 101's is the injected burst's.
const std::map<int64_t, std::string> kKeys = {{101, "burstKey101"},     {102, "decoyKey102"}, {103, "allowedUser103"},
                                              {104, "allowedToken104"}, {105, "key105"},      {106, "key106"}};

class BlockTokenTest : public ::testing::Test {
 protected:
  FakeNewApi newapi;
  AdminApi api = newapi.Api();
  MemoryAuditStore audit;
  FakeBlocklist blocklist;
  int64_t now = 1'800'000'000;
  int key_reads = 0;
  bool granted = true;
  Responder responder{{.max_per_hour = 3}, audit, api, Owner, [this] { return now; }};
  void SetUp() override {
    std::string error;
    std::optional<ActionsConfig> config = ParseActionsConfig(R"(
rules:
  burst: {block_token: true, dry_run: false}
  multi_user_token: {block_token: true}
  shared: {block_token: true, disable_user: true, dry_run: false}
allow:
  users: [9]
  tokens: [104]
)",
                                                             &error);
    ASSERT_TRUE(config) << error;
    responder.SetConfig(*config);
    responder.UseBlocklist(blocklist, [this](int64_t token_id) {
      ++key_reads;
      if (!granted)
        return TokenKey{TokenKey::Status::kNoGrant, "",
                        "grant SELECT (id, key) ON tokens to newapi_agg to use block_token"};
      auto it = kKeys.find(token_id);
      return it == kKeys.end() ? TokenKey{} : TokenKey{TokenKey::Status::kFound, it->second, ""};
    });
  }
  // Every text an outcome or the audit holds: none may contain a key.
  std::string AllText(const std::vector<Outcome>& outcomes) {
    std::string text;
    for (const Outcome& o : outcomes) text += o.message + "\n" + o.message_zh + "\n";
    for (const AuditEntry& e : audit.entries()) text += e.detail + "\n" + e.evidence + "\n" + e.subject_id + "\n";
    return text;
  }
};

TEST_F(BlockTokenTest, TheInjectedBurstAmongDecoysPublishesExactlyItsHashOnce) {
  std::vector<Outcome> outcomes = responder.Handle(Of({
      Firing("burst", "token", "101"),        // the injected burst
      Firing("burst", "token", "103"),        // its owner (9) is allow-listed
      Firing("burst", "token", "104"),        // the token is allow-listed
      Firing("big_request", "token", "102"),  // a rule without actions
      Firing("burst", "ip", "10.0.0.1"),      // not a token
  }));
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_EQ(outcomes[0].result, "done");
  EXPECT_EQ(outcomes[0].action, "block_token");
  EXPECT_EQ(outcomes[1].result, "allow_listed");
  EXPECT_EQ(outcomes[2].result, "allow_listed");
  EXPECT_EQ(outcomes[3].result, "not_enabled");
  EXPECT_EQ(outcomes[4].result, "not_a_token");
  EXPECT_EQ(blocklist.changes, (std::vector<std::string>{"+" + TokenHash("burstKey101")}));
  EXPECT_TRUE(newapi.calls.empty()) << "block_token alone never calls new-api";
  EXPECT_NE(outcomes[0].message.find("blocked token 101 (user 7) for burst"), std::string::npos) << outcomes[0].message;
  EXPECT_NE(outcomes[0].message.find("undo: newapi-aggregator-undo 1"), std::string::npos) << outcomes[0].message;
  EXPECT_NE(outcomes[0].message_zh.find("已封禁令牌 101（用户 7）"), std::string::npos) << outcomes[0].message_zh;
  EXPECT_EQ(key_reads, 1) << "only the acted-on token's key is read";

  // Alertmanager repeats the notification: nothing more.
  now += 600;
  EXPECT_EQ(responder.Handle(Of({Firing("burst", "token", "101")}))[0].result, "already_active");
  EXPECT_EQ(blocklist.changes.size(), 1u);
  EXPECT_EQ(audit.entries().at(0).action, "block_token");
  EXPECT_EQ(audit.entries().at(0).user_id, 7);
  const std::string text = AllText(outcomes);
  for (const auto& [id, key] : kKeys) EXPECT_EQ(text.find(key), std::string::npos) << "key of " << id << " in " << text;
}

TEST_F(BlockTokenTest, DryRunReadsAndWritesNothing) {
  Outcome outcome = responder.Handle(Of({Firing("multi_user_token", "token", "101")}))[0];
  EXPECT_EQ(outcome.result, "dry_run");
  EXPECT_NE(outcome.message.find("[dry run] would have blocked token 101 (user 7)"), std::string::npos)
      << outcome.message;
  EXPECT_NE(outcome.message_zh.find("[演练]"), std::string::npos) << outcome.message_zh;
  EXPECT_TRUE(blocklist.changes.empty());
  EXPECT_EQ(key_reads, 0);
  // Undoing a dry run changes nothing either.
  EXPECT_EQ(responder.Undo(outcome.audit_id, "alice").result, "dry_run");
  EXPECT_TRUE(blocklist.changes.empty());
}

TEST_F(BlockTokenTest, UndoRemovesTheHashOnce) {
  const int64_t id = responder.Handle(Of({Firing("burst", "token", "101")}))[0].audit_id;
  now += 60;
  Outcome undo = responder.Undo(id, "alice");
  EXPECT_EQ(undo.result, "done");
  EXPECT_EQ(undo.action, "unblock_token");
  EXPECT_NE(undo.message.find("unblocked token 101"), std::string::npos) << undo.message;
  EXPECT_TRUE(blocklist.hashes.empty());
  EXPECT_EQ(blocklist.changes.back(), "-" + TokenHash("burstKey101"));
  const AuditEntry& entry = audit.entries().at(1);
  EXPECT_EQ(entry.action, "unblock_token");
  EXPECT_EQ(entry.actor, "undo:alice");
  EXPECT_EQ(entry.undo_of, id);
  EXPECT_EQ(audit.entries().at(0).undone_by, entry.id);
  EXPECT_EQ(responder.Undo(id, "alice").result, "already_undone");
  EXPECT_EQ(blocklist.changes.size(), 2u);
  EXPECT_TRUE(newapi.calls.empty());
}

TEST_F(BlockTokenTest, WithoutTheGrantItFailsClearlyOnceAndIsNotRetried) {
  granted = false;
  Outcome outcome = responder.Handle(Of({Firing("burst", "token", "101")}))[0];
  EXPECT_EQ(outcome.result, "failed");
  EXPECT_NE(outcome.message.find("FAILED to block token 101"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("grant SELECT (id, key) ON tokens"), std::string::npos) << outcome.message;
  EXPECT_EQ(key_reads, 1) << "not retried";
  EXPECT_TRUE(blocklist.changes.empty());
  ASSERT_EQ(audit.entries().size(), 1u);
  EXPECT_EQ(audit.entries()[0].result, "failed");
  EXPECT_NE(audit.entries()[0].detail.find("to use block_token"), std::string::npos);
  // Granted later, the next notification blocks it.
  granted = true;
  now += 600;
  EXPECT_EQ(responder.Handle(Of({Firing("burst", "token", "101")}))[0].result, "done");
}

TEST_F(BlockTokenTest, AFailingBlocklistIsReportedAndBothActionsShareTheCap) {
  blocklist.fail = true;
  Outcome outcome = responder.Handle(Of({Firing("burst", "token", "105")}))[0];
  EXPECT_EQ(outcome.result, "failed");
  EXPECT_NE(outcome.message.find("no answer"), std::string::npos) << outcome.message;
  blocklist.fail = false;
  // A rule with both actions: two outcomes, each audited; with one started already the cap (3) stops the third.
  std::vector<Outcome> outcomes =
      responder.Handle(Of({Firing("shared", "token", "101"), Firing("shared", "token", "102")}));
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].action, "disable_user");
  EXPECT_EQ(outcomes[0].result, "done");
  EXPECT_EQ(outcomes[1].action, "block_token");
  EXPECT_EQ(outcomes[1].result, "done");
  EXPECT_EQ(outcomes[2].result, "over_hourly_cap");
  EXPECT_NE(outcomes[3].message.find("token 102 (user 8, shared) was NOT blocked"), std::string::npos)
      << outcomes[3].message;
}

TEST_F(ResponderTest, ChatLinesComeInChineseToo) {
  Outcome outcome = responder.Handle(Of({Firing("burst", "token", "101")}))[0];
  EXPECT_NE(outcome.message_zh.find("已在 new-api 中禁用用户 7（令牌 101 的所属用户）"), std::string::npos)
      << outcome.message_zh;
  EXPECT_NE(responder.Undo(outcome.audit_id, "bob").message_zh.find("已重新启用用户 7"), std::string::npos);
}

// The file a proxy reads: one hash per line, each once, replaced atomically (no temporary file left behind).
TEST(PublishedBlocklistTest, TheFileHoldsEachHashOnceAndUndoRemovesIt) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("blocklist_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "blocked-tokens.txt").string();
  PublishedBlocklistOptions options;
  options.file = file;
  PublishedBlocklist list(options);
  ASSERT_TRUE(list.configured());
  auto read = [&] {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string a = TokenHash("a"), b = TokenHash("b");
  EXPECT_TRUE(list.Add(a).ok);
  EXPECT_TRUE(list.Add(b).ok);
  EXPECT_TRUE(list.Add(a).ok);
  EXPECT_EQ(read(), a + "\n" + b + "\n");
  const BlocklistResult removed = list.Remove(a);
  EXPECT_TRUE(removed.ok) << removed.message;
  EXPECT_NE(removed.message.find(file), std::string::npos);
  EXPECT_EQ(read(), b + "\n");
  EXPECT_TRUE(list.Remove(a).ok) << "removing an absent hash is no error";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  // An unwritable place fails with the reason.
  options.file = (dir / "missing" / "list.txt").string();
  PublishedBlocklist broken(options);
  const BlocklistResult failed = broken.Add(a);
  EXPECT_FALSE(failed.ok);
  EXPECT_NE(failed.message.find("cannot create"), std::string::npos) << failed.message;
  EXPECT_FALSE(PublishedBlocklist(PublishedBlocklistOptions()).configured());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aggregator::actions
