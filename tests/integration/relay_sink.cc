// A stand-in for the chat platforms in the relay integration test: answers like DingTalk, Feishu, WeCom or a plain
// webhook, checks DingTalk's and Feishu's signatures the way those platforms do (its own HMAC code, not the
// relay's), can fail its first requests or hang, and writes one JSON line per request it receives (with its time).
// Usage: relay_sink PORT LOG_FILE FAIL_FIRST [CERT_FILE KEY_FILE]  (HTTPS when a certificate is given)
// Environment: SINK_DINGTALK_SECRET (the robot at /dingtalk/robot/send), SINK_DINGTALK_SECRET_<NAME> (the robot at
// /dingtalk/<name>/send: several robots with different secrets), SINK_FEISHU_SECRET.
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string Base64Hmac(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  std::string out(4 * ((length + 2) / 3) + 1, '\0');
  out.resize(static_cast<size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(length))));
  return out;
}

// The secret of the DingTalk robot at /dingtalk/<name>/send.
std::string DingTalkSecret(const std::string& name) {
  if (name == "robot") return Env("SINK_DINGTALK_SECRET");
  std::string variable = "SINK_DINGTALK_SECRET_";
  for (char c : name) variable += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return Env(variable.c_str());
}

// Both platforms refuse timestamps more than an hour from their clock.
bool Fresh(long long timestamp_s) {
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return std::llabs(now - timestamp_s) < 3600;
}

// DingTalk: timestamp (ms) and sign in the query string; httplib has already percent-decoded sign.
bool DingTalkSignOk(const httplib::Request& req, const std::string& secret) {
  const std::string timestamp = req.get_param_value("timestamp");
  if (timestamp.empty() || !Fresh(std::atoll(timestamp.c_str()) / 1000)) return false;
  return req.get_param_value("sign") == Base64Hmac(secret, timestamp + "\n" + secret);
}

// Feishu: timestamp (s, a string) and sign in the JSON body; key = timestamp + "\n" + secret, empty message.
bool FeishuSignOk(const nlohmann::json& body, const std::string& secret) {
  if (!body.contains("timestamp") || !body["timestamp"].is_string() || !body.contains("sign")) return false;
  const std::string timestamp = body["timestamp"];
  if (!Fresh(std::atoll(timestamp.c_str()))) return false;
  return body["sign"] == Base64Hmac(timestamp + "\n" + secret, "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) {
    std::cerr << "usage: relay_sink PORT LOG_FILE FAIL_FIRST [CERT_FILE KEY_FILE]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  std::ofstream log(argv[2], std::ios::app);
  const int fail_first = std::atoi(argv[3]);
  const std::string feishu_secret = Env("SINK_FEISHU_SECRET");
  std::unique_ptr<httplib::Server> server =
      argc == 6 ? std::make_unique<httplib::SSLServer>(argv[4], argv[5]) : std::make_unique<httplib::Server>();
  std::mutex mutex;
  std::atomic<int> dingtalk_requests{0};

  server->Post(R"(/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    // received_ms: when the request arrived, for the end-to-end test's delay measurement.
    nlohmann::json record = {{"path", req.path},
                             {"body", req.body},
                             {"query", nlohmann::json::object()},
                             {"received_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count()}};
    for (const auto& [key, value] : req.params) record["query"][key] = value;
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    int status = 200;
    std::string answer = R"({"errcode":0,"errmsg":"ok"})";
    const bool dingtalk = req.path.rfind("/dingtalk/", 0) == 0 && req.path.size() > 15 &&
                          req.path.compare(req.path.size() - 5, 5, "/send") == 0;
    if (dingtalk) {
      const std::string robot = req.path.substr(10, req.path.size() - 15);
      const bool sign_ok = DingTalkSignOk(req, DingTalkSecret(robot));
      record["sign_ok"] = sign_ok;
      if (robot == "robot" && ++dingtalk_requests <= fail_first) {
        status = 500;
        answer = "internal error";
      } else if (!sign_ok) {
        answer = R"({"errcode":310000,"errmsg":"sign not match"})";
      }
    } else if (req.path.rfind("/feishu/hook/", 0) == 0) {
      const bool sign_ok = FeishuSignOk(body, feishu_secret);
      record["sign_ok"] = sign_ok;
      answer = sign_ok ? R"({"code":0,"data":{},"msg":"success"})"
                       : R"({"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour"})";
    } else if (req.path == "/wecom-reject/send") {
      answer = R"({"errcode":93000,"errmsg":"invalid webhook url"})";
    } else if (req.path == "/slow") {
      std::this_thread::sleep_for(std::chrono::seconds(15));
    } else if (req.path == "/webhook") {
      answer = "ok";
    }
    record["answered"] = status;
    record["json"] = !body.is_discarded();
    {
      std::lock_guard<std::mutex> lock(mutex);
      log << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
    res.status = status;
    res.set_content(answer, "application/json");
  });

  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  if (!server->listen("127.0.0.1", port)) {
    std::cerr << "relay_sink: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  return 0;
}
