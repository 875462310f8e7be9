// Seeded random numbers with platform-independent distributions (std::*_distribution results differ between
// standard libraries, and the simulator promises byte-identical output for a seed).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace sim {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  double Uniform01();                          // [0, 1)
  int64_t UniformInt(int64_t lo, int64_t hi);  // inclusive bounds
  bool Chance(double p) { return Uniform01() < p; }
  double Normal();  // standard normal (Box-Muller)
  double LogNormal(double mu, double sigma) { return std::exp(mu + sigma * Normal()); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform01()); }
  std::string Alnum(size_t length);  // [a-zA-Z0-9]
  std::string Hex(size_t length);    // [0-9a-f]

 private:
  uint64_t state_[4];
};

// Derives an independent stream for one purpose (population, history, a writer...) from the user's seed.
uint64_t SubSeed(uint64_t seed, uint64_t purpose);

// Picks an index with probability proportional to its weight (cumulative sums + binary search).
class WeightedPicker {
 public:
  WeightedPicker() = default;
  explicit WeightedPicker(const std::vector<double>& weights);
  size_t Pick(Rng& rng) const;
  bool empty() const { return total_ <= 0; }

 private:
  std::vector<double> cumulative_;
  double total_ = 0;
};

// Lowers the largest weights so no single one exceeds max_share of the total (water-filling), keeping the rest
// proportional. Used to keep every token's request rate under the burst rule at any traffic volume.
std::vector<double> CapShares(std::vector<double> weights, double max_share);

}  // namespace sim
