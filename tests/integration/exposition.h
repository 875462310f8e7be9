// A minimal Prometheus text-format reader for tests: samples by metric name and label set.
#pragma once

#include <httplib.h>

#include <map>
#include <sstream>
#include <string>

namespace observer::testing {

// family name -> canonical label string ("a=\"x\",b=\"y\"", as exposed) -> value
using Samples = std::map<std::string, std::map<std::string, double>>;

inline Samples ParseExposition(const std::string& text) {
  Samples samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    std::string name, labels;
    if (brace != std::string::npos && brace < space) {
      name = line.substr(0, brace);
      const size_t close = line.rfind('}', space);
      labels = line.substr(brace + 1, close - brace - 1);
    } else {
      name = line.substr(0, space);
    }
    samples[name][labels] = std::stod(line.substr(space + 1));
  }
  return samples;
}

inline std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : std::string();
}

}  // namespace observer::testing
