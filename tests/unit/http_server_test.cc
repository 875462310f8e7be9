// Tests for the HTTP edge on a real loopback socket: request ids, JSON errors, /metrics and the latency histogram,
// several listen addresses, the telemetry path, the landing page, basic auth and TLS from the web config.
#include "observer/http_server.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "observer/build_info.h"

namespace observer {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    server_ = std::make_unique<HttpServer>("test", registry_);
    server_->Get("/api/ok", [](const httplib::Request&, httplib::Response& res) {
      WriteJson(res, 200, {{"ok", true}});
    });
    server_->Get("/api/throws", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("boom with secret detail");
    });
    server_->Get(R"(/items/([^/]+))", [](const httplib::Request&, httplib::Response& res) {
      WriteJson(res, 200, {{"ok", true}});
    });
    server_->Bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_->Serve(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }
  void TearDown() override {
    server_->Stop();
    thread_.join();
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, EchoesAValidRequestIdAndReplacesAnInvalidOne) {
  auto res = client_->Get("/api/ok", {{"X-Request-Id", "trace-42"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "trace-42");

  res = client_->Get("/api/ok", {{"X-Request-Id", "bad id with spaces\r\n"}});
  ASSERT_TRUE(res);
  const std::string id = res->get_header_value("X-Request-Id");
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find(' '), std::string::npos);

  res = client_->Get("/api/ok");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Request-Id").size(), 16u);
}

TEST_F(HttpServerTest, UnknownPathAndExceptionAnswerWithTheJsonErrorShape) {
  auto res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["code"], 404);
  EXPECT_TRUE(body["error"].is_string());

  res = client_->Get("/api/throws");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body.find("secret detail"), std::string::npos) << "internal errors must not leak details";
  EXPECT_EQ(nlohmann::json::parse(res->body)["code"], 500);
}

TEST_F(HttpServerTest, MetricsExposeTheLatencyHistogramByRoute) {
  ASSERT_TRUE(client_->Get("/api/ok"));
  ASSERT_TRUE(client_->Get("/random/path/1"));
  ASSERT_TRUE(client_->Get("/items/first"));
  ASSERT_TRUE(client_->Get("/items/second"));
  // cpp-httplib records a request (its logger) after sending the answer, so a scrape may briefly miss it.
  std::string body, content_type;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto res = client_->Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    body = res->body;
    content_type = res->get_header_value("Content-Type");
    if (body.find("handler=\"other\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(content_type.find("version=0.0.4"), std::string::npos);
  EXPECT_NE(body.find("newapi_test_http_request_duration_seconds_count{handler=\"/api/ok\"} 1"), std::string::npos)
      << body;
  // A pattern route is one series, its group shown as *.
  EXPECT_NE(body.find("newapi_test_http_request_duration_seconds_count{handler=\"/items/*\"} 2"), std::string::npos)
      << body;
  EXPECT_EQ(body.find("/items/first"), std::string::npos);
  // Unknown paths fold into one series so scanners cannot blow up cardinality.
  EXPECT_NE(body.find("handler=\"other\""), std::string::npos);
  EXPECT_EQ(body.find("/random/path/1"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveRequestsAreNotHeldByNagle) {
  // Without TCP_NODELAY each keep-alive answer waits for the client's delayed ACK (~40 ms): 50 requests took 2 s.
  client_->set_keep_alive(true);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(client_->Get("/api/ok"));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, std::chrono::milliseconds(1000))
      << "50 keep-alive requests took " << std::chrono::duration<double>(took).count() << " s";
}

TEST_F(HttpServerTest, ManyByteRangesGetTheWholeBodyOnce) {
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 299; ++i) ranges += ",0-";
  auto res = client_->Get("/api/ok", {{"Range", ranges}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body.size(), std::string("{\"ok\":true}").size()) << "the whole body once, not one copy per range";
  res = client_->Get("/api/ok", {{"Range", "bytes=0-3"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body.size(), 4u) << res->body;
}

TEST_F(HttpServerTest, LandingPageLinksToTheMetrics) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(res->body.find("newapi-test"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find(observer::kBuildVersion), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("href=\"/metrics\""), std::string::npos) << res->body;
}

// A server built from web options on a free loopback port; stopped at the end of the test.
class WebServer {
 public:
  explicit WebServer(const WebOptions& web) : server_("web", std::make_shared<prometheus::Registry>(), web) {
    server_.Get("/api/ok", [](const httplib::Request&, httplib::Response& res) {
      WriteJson(res, 200, {{"ok", true}});
    });
    server_.Post("/api/echo",
                 [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
    server_.Bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_.Serve(); });
  }
  ~WebServer() {
    server_.Stop();
    thread_.join();
  }
  HttpServer& server() { return server_; }

 private:
  HttpServer server_;
  std::thread thread_;
};

TEST(WebOptionsTest, ServesEveryAddressAndTheTelemetryPathOnly) {
  WebOptions web;
  web.telemetry_path = "/internal/metrics.txt";
  HttpServer server("web", std::make_shared<prometheus::Registry>(), web);
  server.Bind("127.0.0.1", 0);
  const int first = server.port();
  server.Bind("127.0.0.2", first);  // the same port on a second loopback address
  std::thread thread([&server] { server.Serve(); });
  for (const char* host : {"127.0.0.1", "127.0.0.2"}) {
    httplib::Client client(host, first);
    auto res = client.Get("/internal/metrics.txt");
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host;
    EXPECT_NE(res->body.find("newapi_web_scrape_duration_seconds"), std::string::npos);
    res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << "only the configured telemetry path serves metrics";
    res = client.Get("/internal/metricsXtxt");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << "the path is matched exactly, not as a pattern";
    res = client.Get("/");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("href=\"/internal/metrics.txt\""), std::string::npos) << res->body;
  }
  server.Stop();
  thread.join();
}

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  crypt_data data{};
  crypt_gensalt_rn("$2y$", 4, nullptr, 0, salt, sizeof salt);
  return crypt_rn(password.c_str(), salt, &data, sizeof data);
}

TEST(WebOptionsTest, BasicAuthGuardsEveryPathAndAnUnknownUserLooksLikeAWrongPassword) {
  WebOptions web;
  web.config.users = {{"prometheus", Bcrypt("scrape-secret")}};
  WebServer served(web);
  httplib::Client client("127.0.0.1", served.server().port());
  for (const char* path : {"/metrics", "/api/ok", "/", "/nope"}) {
    auto none = client.Get(path);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->get_header_value("WWW-Authenticate").rfind("Basic ", 0), 0u) << path;
  }
  client.set_basic_auth("prometheus", "wrong");
  auto wrong = client.Get("/metrics");
  client.set_basic_auth("nobody", "scrape-secret");
  auto unknown = client.Get("/metrics");
  ASSERT_TRUE(wrong);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(wrong->body, unknown->body);
  EXPECT_EQ(wrong->get_header_value("WWW-Authenticate"), unknown->get_header_value("WWW-Authenticate"));
  // A refused POST's body is never read: the connection closes after the 401.
  client.set_basic_auth("prometheus", "wrong");
  auto post = client.Post("/api/echo", std::string(1000, 'x'), "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  EXPECT_EQ(post->get_header_value("Connection"), "close");

  client.set_basic_auth("prometheus", "scrape-secret");
  for (const char* path : {"/metrics", "/api/ok", "/"}) {
    auto right = client.Get(path);
    ASSERT_TRUE(right);
    EXPECT_EQ(right->status, 200) << path;
  }
}

// A self-signed certificate for 127.0.0.1 made by openssl req in a fresh directory.
class Certificate {
 public:
  Certificate() {
    dir_ = std::filesystem::temp_directory_path() / ("web-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        key() + " -out " + cert() + " 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
  ~Certificate() { std::filesystem::remove_all(dir_); }
  std::string cert() const { return (dir_ / "server.crt").string(); }
  std::string key() const { return (dir_ / "server.key").string(); }

 private:
  std::filesystem::path dir_;
};

TEST(WebOptionsTest, TlsServesHttpsWithBasicAuthAndRefusesPlainHttp) {
  Certificate certificate;
  WebOptions web;
  web.config.tls.cert_file = certificate.cert();
  web.config.tls.key_file = certificate.key();
  web.config.users = {{"prometheus", Bcrypt("scrape-secret")}};
  web.tls_context = MakeTlsContext(web.config.tls);
  ASSERT_NE(web.tls_context, nullptr);
  WebServer served(web);
  const int port = served.server().port();

  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(certificate.cert().c_str());
  client.enable_server_certificate_verification(true);
  client.set_read_timeout(5, 0);
  auto unauthorized = client.Get("/metrics");
  ASSERT_TRUE(unauthorized) << httplib::to_string(unauthorized.error());
  EXPECT_EQ(unauthorized->status, 401);
  client.set_basic_auth("prometheus", "scrape-secret");
  client.set_keep_alive(true);
  for (int i = 0; i < 5; ++i) {  // keep-alive: the connection goes back to the reception between requests
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("newapi_web_scrape_duration_seconds"), std::string::npos);
  }
  const std::string big(200000, 'b');  // a body of many TLS records
  auto echoed = client.Post("/api/echo", big, "text/plain");
  ASSERT_TRUE(echoed) << httplib::to_string(echoed.error());
  EXPECT_EQ(echoed->body, big);

  httplib::Client plain("127.0.0.1", port);
  plain.set_read_timeout(3, 0);
  auto res = plain.Get("/metrics");
  EXPECT_FALSE(res && res->status == 200) << "plain HTTP on the TLS port must not be served";
}

TEST(WebOptionsTest, RequireAndVerifyClientCertServesOnlyClientsWithACertificateOfTheCa) {
  Certificate certificate;  // self-signed: the server's certificate, the client CA and the client's certificate
  WebOptions web;
  web.config.tls.cert_file = certificate.cert();
  web.config.tls.key_file = certificate.key();
  web.config.tls.client_auth_type = "RequireAndVerifyClientCert";
  web.config.tls.client_ca_file = certificate.cert();
  web.tls_context = MakeTlsContext(web.config.tls);
  WebServer served(web);
  const int port = served.server().port();

  httplib::SSLClient with_certificate("127.0.0.1", port, certificate.cert(), certificate.key());
  with_certificate.enable_server_certificate_verification(false);
  auto res = with_certificate.Get("/api/ok");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);

  httplib::SSLClient without_certificate("127.0.0.1", port);
  without_certificate.enable_server_certificate_verification(false);
  without_certificate.set_read_timeout(3, 0);
  res = without_certificate.Get("/api/ok");
  EXPECT_FALSE(res && res->status == 200) << "a client without a certificate must not be served";
}

TEST(WebOptionsTest, AMissingCertificateIsAConfigErrorNamingTheKeyAndFile) {
  TlsSettings tls;
  tls.cert_file = "/nonexistent/server.crt";
  tls.key_file = "/nonexistent/server.key";
  try {
    MakeTlsContext(tls);
    ADD_FAILURE() << "a missing certificate was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("tls_server_config.cert_file '/nonexistent/server.crt'"), std::string::npos)
        << e.what();
  }
}

TEST(RequestIdTest, AcceptsOnlyShortSafeIds) {
  EXPECT_EQ(RequestIdFrom("abc-DEF_1.2"), "abc-DEF_1.2");
  EXPECT_EQ(RequestIdFrom(std::string(65, 'a')).size(), 16u);
  EXPECT_NE(RequestIdFrom("a\"b"), "a\"b");
  EXPECT_NE(RequestIdFrom(""), "");
}

}  // namespace
}  // namespace observer
