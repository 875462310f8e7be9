// Tests for the HTTP edge on a real loopback socket: request ids, JSON errors, /metrics and the latency histogram.
#include "observer/http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace observer {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    server_ = std::make_unique<HttpServer>("test", registry_);
    server_->Get("/api/ok", [](const httplib::Request&, httplib::Response& res) { WriteJson(res, 200, {{"ok", true}}); });
    server_->Get("/api/throws", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("boom with secret detail");
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
  EXPECT_LT(took, std::chrono::milliseconds(1000)) << "50 keep-alive requests took "
                                                   << std::chrono::duration<double>(took).count() << " s";
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

TEST(RequestIdTest, AcceptsOnlyShortSafeIds) {
  EXPECT_EQ(RequestIdFrom("abc-DEF_1.2"), "abc-DEF_1.2");
  EXPECT_EQ(RequestIdFrom(std::string(65, 'a')).size(), 16u);
  EXPECT_NE(RequestIdFrom("a\"b"), "a\"b");
  EXPECT_NE(RequestIdFrom(""), "");
}

}  // namespace
}  // namespace observer
