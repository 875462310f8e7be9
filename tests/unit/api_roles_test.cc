// The API's roles: the permission matrix, the tokens file (parsing and reloads), the trusted proxy's headers and the
// identity each kind of credential gives.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/access.h"

namespace exporter::api {
namespace {

QueryParams Params(std::initializer_list<std::pair<const std::string, std::string>> items) {
  return QueryParams(items);
}

TEST(RolesTest, MatrixByEndpointAndParameter) {
  EXPECT_EQ(RequiredRole("/api/info", {}), Role::kNone);
  EXPECT_EQ(RequiredRole("/api/stats/series", {}), Role::kViewer);
  EXPECT_EQ(RequiredRole("/api/stats/series", Params({{"model", "gpt-4o"}, {"channel", "3"}})), Role::kViewer);
  EXPECT_EQ(RequiredRole("/api/stats/series", Params({{"user", "7"}})), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/stats/heatmap", Params({{"token", "7"}})), Role::kAnalyst);
  // Top's default dimension is user.
  EXPECT_EQ(RequiredRole("/api/stats/top", {}), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/stats/top", Params({{"by", "model"}})), Role::kViewer);
  EXPECT_EQ(RequiredRole("/api/stats/top", Params({{"by", "channel"}})), Role::kViewer);
  EXPECT_EQ(RequiredRole("/api/stats/top", Params({{"by", "token"}})), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/stats/top", Params({{"by", "model"}, {"user", "1"}})), Role::kAnalyst);
  // A repeated parameter cannot hide the value that needs more.
  EXPECT_EQ(RequiredRole("/api/stats/top", Params({{"by", "model"}, {"by", "user"}})), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/stats/anomalies", {}), Role::kViewer);
  EXPECT_EQ(RequiredRole("/api/stats/anomalies/detail", {}), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/logs", {}), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/export/csv", Params({{"query", "series"}})), Role::kAnalyst);
  EXPECT_EQ(RequiredRole("/api/actions", {}), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/api/actions/undo", {}), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/-/reload", {}), Role::kAdmin);
  // A path the table does not know needs the most.
  EXPECT_EQ(RequiredRole("/api/something-new", {}), Role::kAdmin);
}

TEST(RolesTest, RoleNames) {
  for (Role role : {Role::kViewer, Role::kAnalyst, Role::kAdmin}) EXPECT_EQ(ParseRole(RoleName(role)), role);
  EXPECT_FALSE(ParseRole("Admin"));
  EXPECT_FALSE(ParseRole("none"));
  EXPECT_LT(Role::kViewer, Role::kAnalyst);
  EXPECT_LT(Role::kAnalyst, Role::kAdmin);
}

const std::string kHashA = Sha256Hex("token-of-alice-0001");
const std::string kHashB = Sha256Hex("token-of-bob-00002");

TEST(TokensFileTest, Parses) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::vector<TokenEntry> entries =
      ParseTokensFile("tokens:\n  - name: alice\n    role: analyst\n    sha256: " + kHashA +
                      "\n  - {name: bob, role: viewer, sha256: " + kHashB + "}\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "alice");
  EXPECT_EQ(entries[0].role, Role::kAnalyst);
  EXPECT_EQ(entries[1].role, Role::kViewer);
  EXPECT_EQ(ParseTokensFile("tokens: []\n").size(), 0u);
}

TEST(TokensFileTest, RejectsWithTheEntryAndKey) {
  auto error = [](const std::string& yaml) {
    try {
      ParseTokensFile(yaml);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error("tokens: {}").find("tokens"), std::string::npos);
  EXPECT_NE(error("tokens:\n  - {name: a, role: root, sha256: " + kHashA + "}").find("tokens[0].role"),
            std::string::npos);
  EXPECT_NE(error("tokens:\n  - {name: a, role: admin, sha256: abc}").find("tokens[0].sha256"), std::string::npos);
  EXPECT_NE(error("tokens:\n  - {name: a, role: admin}").find("tokens[0].sha256: missing"), std::string::npos);
  EXPECT_NE(error("tokens:\n  - {name: a, role: admin, sha256: " + kHashA + ", token: x}").find("unknown key 'token'"),
            std::string::npos);
  EXPECT_NE(error("tokens:\n  - {name: a, role: admin, sha256: " + kHashA +
                  "}\n  - {name: a, role: viewer, sha256: " + kHashB + "}")
                .find("tokens[1].name"),
            std::string::npos);
  const std::string twice = error("tokens:\n  - {name: a, role: admin, sha256: " + kHashA +
                                  "}\n  - {name: b, role: viewer, sha256: " + kHashA + "}");
  EXPECT_NE(twice.find("tokens[1].sha256"), std::string::npos);
  EXPECT_EQ(twice.find(kHashA), std::string::npos) << "no hash in messages";
  EXPECT_NE(error("tokens: [").find("not YAML"), std::string::npos);
}

TEST(TokensFileTest, ReloadKeepsTheOldSetOnABrokenFile) {
  const std::string path = testing::TempDir() + "/tokens-" + std::to_string(::getpid()) + ".yaml";
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write("tokens:\n  - {name: alice, role: analyst, sha256: " + kHashA + "}\n");
  TokensFile file(path);
  EXPECT_EQ(file.Reload(), "");
  EXPECT_EQ(file.Find("token-of-alice-0001")->name, "alice");
  EXPECT_FALSE(file.Find("token-of-bob-00002"));
  write("tokens:\n  - {name: alice, role: superuser, sha256: " + kHashA + "}\n");
  EXPECT_NE(file.Reload(), "");
  EXPECT_EQ(file.Find("token-of-alice-0001")->role, Role::kAnalyst) << "the set loaded before stays";
  // A change is picked up without a reload request (the file is looked at once a second).
  write("tokens:\n  - {name: bob, role: admin, sha256: " + kHashB + "}\n  # changed size\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  file.ReloadIfChanged();
  EXPECT_FALSE(file.Find("token-of-alice-0001"));
  EXPECT_EQ(file.Find("token-of-bob-00002")->role, Role::kAdmin);
  std::filesystem::remove(path);
}

TEST(ProxyTest, GroupRoles) {
  std::map<std::string, Role> roles;
  std::string error;
  ASSERT_TRUE(ParseGroupRoles("ops=admin, data = analyst ,*=viewer", &roles, &error)) << error;
  EXPECT_EQ(roles.size(), 3u);
  EXPECT_EQ(RoleOfGroups("data,ops", roles), Role::kAdmin);
  EXPECT_EQ(RoleOfGroups("data", roles), Role::kAnalyst);
  EXPECT_EQ(RoleOfGroups("", roles), Role::kViewer);
  roles.erase("*");
  EXPECT_EQ(RoleOfGroups("marketing", roles), Role::kNone);
  EXPECT_FALSE(ParseGroupRoles("ops=root", &roles, &error));
  EXPECT_FALSE(ParseGroupRoles("=admin", &roles, &error));
  EXPECT_FALSE(ParseGroupRoles("ops", &roles, &error));
}

httplib::Request Request(const std::string& remote, httplib::Headers headers) {
  httplib::Request req;
  req.remote_addr = remote;
  req.headers = std::move(headers);
  return req;
}

TEST(IdentityTest, EachCredential) {
  AccessOptions access;
  access.token = "the-admin-token-123";
  std::string error;
  ASSERT_TRUE(access.proxy.addresses.AddNetwork("10.0.0.0/8", &error));
  ASSERT_TRUE(ParseGroupRoles("ops=admin,*=viewer", &access.proxy.group_roles, &error));

  std::optional<Identity> who =
      Authenticate(Request("10.1.2.3", {{"X-Forwarded-User", "carol"}, {"X-Forwarded-Groups", "ops"}}), access);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "carol");
  EXPECT_EQ(who->role, Role::kAdmin);
  EXPECT_EQ(who->via, "proxy");
  who = Authenticate(Request("10.1.2.3", {{"X-Forwarded-User", "dave"}}), access);
  EXPECT_EQ(who->role, Role::kViewer);
  // The same headers from elsewhere are ignored: no identity.
  EXPECT_FALSE(
      Authenticate(Request("192.168.1.5", {{"X-Forwarded-User", "carol"}, {"X-Forwarded-Groups", "ops"}}), access));
  // ... and the caller is who its own credentials say.
  who = Authenticate(
      Request("192.168.1.5", {{"X-Forwarded-User", "carol"}, {"Authorization", "Bearer the-admin-token-123"}}), access);
  EXPECT_EQ(who->name, "api-token");
  EXPECT_EQ(who->role, Role::kAdmin);
  // Configurable header names: the default names then mean nothing.
  access.proxy.user_header = "X-Auth-Request-User";
  EXPECT_FALSE(Authenticate(Request("10.1.2.3", {{"X-Forwarded-User", "carol"}}), access));
  EXPECT_EQ(Authenticate(Request("10.1.2.3", {{"X-Auth-Request-User", "erin"}}), access)->name, "erin");

  AccessOptions basic;
  basic.basic_auth = true;
  who = Authenticate(Request("127.0.0.1", {{"Authorization", "Basic YWxpY2U6czNjcmV0"}}), basic);  // alice:s3cret
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->role, Role::kAdmin);

  AccessOptions none;
  none.open = true;
  who = Authenticate(Request("127.0.0.1", {}), none);
  EXPECT_EQ(who->name, "anonymous");
  EXPECT_EQ(who->role, Role::kAdmin);
}

}  // namespace
}  // namespace exporter::api
