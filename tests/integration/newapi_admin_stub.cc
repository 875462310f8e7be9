// A stand-in for new-api's admin API on loopback: records each POST /api/user/manage (headers and body) as a JSON
// line and answers like new-api; POST /control/fail?n=N makes the next N calls answer 502.
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: newapi_admin_stub PORT LOG_FILE ACCESS_TOKEN\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  std::ofstream log(argv[2], std::ios::app);
  const std::string token = argv[3];
  std::mutex mutex;
  std::atomic<int> fail_next{0};
  httplib::Server server;
  server.Post("/control/fail", [&](const httplib::Request& req, httplib::Response& res) {
    fail_next = std::atoi(req.get_param_value("n").c_str());
    res.set_content("{}", "application/json");
  });
  server.Post("/api/user/manage", [&](const httplib::Request& req, httplib::Response& res) {
    const bool failing = fail_next.fetch_sub(1) > 0;
    if (!failing) fail_next = 0;
    const bool authorized =
        req.get_header_value("Authorization") == "Bearer " + token && !req.get_header_value("New-Api-User").empty();
    nlohmann::json record = {{"body", nlohmann::json::parse(req.body, nullptr, false)},
                             {"authorized", authorized},
                             {"new_api_user", req.get_header_value("New-Api-User")},
                             {"answered", failing ? 502 : 200}};
    {
      std::lock_guard<std::mutex> lock(mutex);
      log << record.dump() << std::endl;
    }
    if (failing) {
      res.status = 502;
      res.set_content("bad gateway", "text/plain");
    } else if (!authorized) {
      // new-api answers 401 with success false for a wrong access token.
      res.status = 401;
      res.set_content(R"({"success":false,"message":"access token invalid"})", "application/json");
    } else {
      res.set_content(R"({"success":true,"message":""})", "application/json");
    }
  });
  if (!server.listen("127.0.0.1", port)) {
    std::cerr << "newapi_admin_stub: cannot listen on " << port << "\n";
    return 1;
  }
  return 0;
}
