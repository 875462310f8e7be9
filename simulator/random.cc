// Seeded random number generator and weighted picking.
#include "random.h"

#include <algorithm>
#include <numbers>

namespace sim {
namespace {

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : state_) s = SplitMix(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Rng::Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(Next() % span);
}

double Rng::Normal() {
  const double u1 = 1.0 - Uniform01();  // (0, 1]: log is finite
  const double u2 = Uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::string Rng::Alnum(size_t length) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(length, '\0');
  for (char& c : out) c = kChars[Next() % 62];
  return out;
}

std::string Rng::Hex(size_t length) {
  static constexpr char kChars[] = "0123456789abcdef";
  std::string out(length, '\0');
  for (char& c : out) c = kChars[Next() % 16];
  return out;
}

uint64_t SubSeed(uint64_t seed, uint64_t purpose) {
  uint64_t x = seed ^ (purpose * 0xd1b54a32d192ed03ULL);
  SplitMix(x);
  return SplitMix(x);
}

WeightedPicker::WeightedPicker(const std::vector<double>& weights) {
  cumulative_.reserve(weights.size());
  for (double w : weights) {
    total_ += std::max(0.0, w);
    cumulative_.push_back(total_);
  }
}

size_t WeightedPicker::Pick(Rng& rng) const {
  const double target = rng.Uniform01() * total_;
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
  size_t index = static_cast<size_t>(it - cumulative_.begin());
  // upper_bound never lands on a zero-weight entry (its cumulative value equals its predecessor's).
  return index >= cumulative_.size() ? cumulative_.size() - 1 : index;
}

std::vector<double> CapShares(std::vector<double> weights, double max_share) {
  if (weights.empty() || max_share >= 1.0 || max_share * static_cast<double>(weights.size()) <= 1.0) return weights;
  // Repeatedly pin every weight above the cap to the cap; pinning lowers the total, so iterate until stable.
  std::vector<bool> pinned(weights.size(), false);
  for (int round = 0; round < 64; ++round) {
    double free_total = 0;
    size_t pinned_count = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (pinned[i])
        ++pinned_count;
      else
        free_total += weights[i];
    }
    // Pinned entries hold max_share each; the free ones share the rest proportionally.
    const double free_share = 1.0 - max_share * static_cast<double>(pinned_count);
    bool changed = false;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (!pinned[i] && free_total > 0 && weights[i] / free_total * free_share > max_share) {
        pinned[i] = true;
        changed = true;
      }
    }
    if (!changed) {
      std::vector<double> out(weights.size());
      for (size_t i = 0; i < weights.size(); ++i) {
        out[i] = pinned[i] ? max_share : (free_total > 0 ? weights[i] / free_total * free_share : 0);
      }
      return out;
    }
  }
  return weights;
}

}  // namespace sim
