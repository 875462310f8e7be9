// The fixed catalog of vendors, models, groups and channels of the simulated installation, and the quota maths.
#include "catalog.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace sim {
namespace {

double Ln(double median) { return std::log(median); }

ModelSpec Ratio(std::string name, int vendor, double ratio, double completion, double cache, double prompt_median,
                double prompt_sigma, double completion_median, double completion_sigma, double popularity,
                double stream_share, double tps, double frt_ms, std::string path = "/v1/chat/completions") {
  return ModelSpec{
      std::move(name),       vendor,           ratio,      completion,   cache, -1,     Ln(prompt_median), prompt_sigma,
      Ln(completion_median), completion_sigma, popularity, stream_share, tps,   frt_ms, std::move(path)};
}

ModelSpec Priced(std::string name, int vendor, double price_usd, double popularity, std::string path) {
  // Fixed-price calls still report small token counts (the prompt text of an image/video request).
  return ModelSpec{std::move(name), vendor, 0,          1,   0, price_usd, Ln(60),         0.4,
                   Ln(1),           0.0,    popularity, 0.0, 1, 0,         std::move(path)};
}

Catalog Build() {
  Catalog c;
  c.vendors = {
      {1, "OpenAI", "GPT and o-series models"},
      {2, "Anthropic", "Claude models"},
      {3, "Google", "Gemini and Veo models"},
      {4, "DeepSeek", "DeepSeek chat and reasoner"},
      {5, "Alibaba", "Qwen models (Bailian)"},
      {6, "Moonshot", "Kimi models"},
      {7, "Zhipu", "GLM models"},
      {8, "xAI", "Grok models"},
  };
  c.models = {
      //     name                         vendor ratio  compl cache  p.med  p.sig c.med  c.sig  pop   strm  tps  frt
      Ratio("gpt-4o", 1, 1.25, 4, 0.5, 1800, 1.0, 350, 0.8, 14, 0.70, 70, 650),
      Ratio("gpt-4o-mini", 1, 0.075, 4, 0.5, 1200, 1.0, 250, 0.8, 16, 0.65, 110, 450),
      Ratio("gpt-4.1", 1, 1.0, 4, 0.25, 2500, 1.1, 400, 0.8, 6, 0.70, 75, 700),
      Ratio("gpt-4.1-mini", 1, 0.2, 4, 0.25, 1500, 1.0, 300, 0.8, 5, 0.65, 100, 500),
      Ratio("o3-mini", 1, 0.55, 4, 0.5, 1500, 0.9, 1800, 0.8, 3, 0.55, 90, 2500),
      Ratio("o4-mini", 1, 0.55, 4, 0.25, 1600, 0.9, 1600, 0.8, 3, 0.55, 95, 2200),
      Ratio("text-embedding-3-small", 1, 0.01, 1, 0, 400, 0.9, 1, 0.0, 4, 0.0, 1, 0, "/v1/embeddings"),
      Priced("dall-e-3", 1, 0.04, 1, "/v1/images/generations"),
      Ratio("claude-sonnet-4-20250514", 2, 1.5, 5, 0.1, 3500, 1.1, 500, 0.9, 12, 0.80, 60, 1100),
      Ratio("claude-3-5-haiku-20241022", 2, 0.4, 5, 0.1, 1500, 1.0, 300, 0.8, 4, 0.70, 90, 700),
      Ratio("claude-opus-4-20250514", 2, 7.5, 5, 0.1, 4000, 1.0, 600, 0.9, 1.5, 0.80, 35, 1800),
      Ratio("gemini-2.5-pro", 3, 0.625, 8, 0.25, 3000, 1.1, 900, 0.9, 5, 0.60, 80, 1500),
      Ratio("gemini-2.5-flash", 3, 0.15, 8.333333, 0.25, 1500, 1.0, 400, 0.8, 5, 0.60, 180, 500),
      Priced("veo-3", 3, 0.8, 0.3, "/v1/video/generations"),
      Ratio("deepseek-chat", 4, 0.135, 4, 0.1, 2000, 1.0, 400, 0.8, 10, 0.70, 45, 900),
      Ratio("deepseek-reasoner", 4, 0.275, 4, 0.1, 2000, 1.0, 1500, 0.9, 4, 0.75, 40, 3000),
      Ratio("qwen-max", 5, 0.8, 4, 0.4, 1800, 1.0, 400, 0.8, 2.5, 0.65, 50, 800),
      Ratio("qwen-plus", 5, 0.4, 2.5, 0.4, 1500, 1.0, 350, 0.8, 2.5, 0.65, 70, 600),
      // Long-context model with naturally very wide request sizes: the big_request decoy lives here.
      Ratio("qwen-long", 5, 0.25, 4, 0.4, 3000, 1.5, 300, 1.0, 1.5, 0.60, 60, 900),
      Ratio("kimi-k2", 6, 0.3, 4, 0.25, 2000, 1.0, 400, 0.8, 2, 0.65, 45, 800),
      Ratio("glm-4.5", 7, 0.3, 4, 0.2, 1800, 1.0, 400, 0.8, 2, 0.65, 55, 700),
      Ratio("grok-3", 8, 1.5, 5, 0.25, 1800, 1.0, 400, 0.8, 1.5, 0.65, 60, 900),
  };
  c.groups = {{"default", 1.0, 0.80}, {"vip", 0.9, 0.15}, {"svip", 0.8, 0.05}};
  const std::vector<std::string> all = {"default", "vip", "svip"};
  const std::vector<std::string> paid = {"vip", "svip"};
  c.channel_templates = {
      {"openai-main",
       1,
       {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "o4-mini", "text-embedding-3-small", "dall-e-3"},
       all,
       10,
       10,
       1,
       "https://api.openai.com",
       false},
      {"azure-eastus",
       3,
       {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "text-embedding-3-small"},
       all,
       10,
       5,
       1,
       "https://sim-eastus.openai.azure.com",
       false},
      {"anthropic-official",
       14,
       {"claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-20250514"},
       all,
       10,
       10,
       1,
       "https://api.anthropic.com",
       false},
      // Auto-disabled after repeated 429s (status 3): present in abilities with enabled = 0.
      {"aws-bedrock-claude", 33, {"claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"}, paid, 5, 5, 3, "", false},
      // A cheap reseller: most error logs come from here.
      {"openai-proxy-cheap",
       1,
       {"gpt-4o", "gpt-4o-mini", "o3-mini", "deepseek-chat"},
       {"default"},
       0,
       8,
       1,
       "https://api.cheap-relay.example",
       true},
      {"gemini-official", 24, {"gemini-2.5-pro", "gemini-2.5-flash"}, all, 10, 10, 1, "", false},
      {"vertex-ai", 41, {"gemini-2.5-pro", "gemini-2.5-flash", "veo-3"}, all, 5, 5, 1, "", false},
      {"deepseek-official",
       43,
       {"deepseek-chat", "deepseek-reasoner"},
       all,
       10,
       10,
       1,
       "https://api.deepseek.com",
       false},
      {"aliyun-bailian", 17, {"qwen-max", "qwen-plus", "qwen-long"}, all, 10, 10, 1, "", false},
      {"moonshot", 25, {"kimi-k2"}, all, 10, 10, 1, "https://api.moonshot.cn", false},
      {"zhipu-glm", 26, {"glm-4.5"}, all, 10, 10, 1, "", false},
      {"xai-grok", 48, {"grok-3"}, all, 10, 10, 1, "https://api.x.ai", false},
  };
  return c;
}

nlohmann::json ObjectOf(const Catalog& catalog, double (*value)(const ModelSpec&), bool (*include)(const ModelSpec&)) {
  nlohmann::json out = nlohmann::json::object();
  for (const ModelSpec& m : catalog.models) {
    if (include(m)) out[m.name] = value(m);
  }
  return out;
}

}  // namespace

const Catalog& DefaultCatalog() {
  static const Catalog catalog = Build();
  return catalog;
}

const ModelSpec* Catalog::FindModel(const std::string& name) const {
  const int index = ModelIndex(name);
  return index < 0 ? nullptr : &models[static_cast<size_t>(index)];
}

int Catalog::ModelIndex(const std::string& name) const {
  for (size_t i = 0; i < models.size(); ++i) {
    if (models[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const Group& Catalog::FindGroup(const std::string& name) const {
  for (const Group& g : groups) {
    if (g.name == name) return g;
  }
  throw std::out_of_range("unknown group " + name);
}

int64_t ComputeQuota(const ModelSpec& model, double group_ratio, int64_t prompt_tokens, int64_t completion_tokens,
                     int64_t cache_tokens) {
  if (model.fixed_price()) return std::llround(model.model_price * kQuotaPerUnit * group_ratio);
  const double uncached = static_cast<double>(prompt_tokens - cache_tokens);
  const double weighted = uncached + static_cast<double>(cache_tokens) * model.cache_ratio +
                          static_cast<double>(completion_tokens) * model.completion_ratio;
  const int64_t quota = std::llround(weighted * model.model_ratio * group_ratio);
  // new-api charges at least one unit when tokens were used but the ratios rounded the charge to zero.
  if (quota <= 0 && prompt_tokens + completion_tokens > 0 && model.model_ratio > 0) return 1;
  return quota;
}

namespace {

// Mean and variance of exp(mu + sigma·clamp(Z, ±kSizeClampSigma)) by numerical integration: the clamp piles the
// tails' probability onto the end points, which shrinks the variance of wide models a lot.
std::pair<double, double> ClampedLognormalMoments(double mu, double sigma) {
  constexpr int kSteps = 4000;
  const double lo = -kSizeClampSigma, hi = kSizeClampSigma, step = (hi - lo) / kSteps;
  auto density = [](double z) { return std::exp(-z * z / 2) / std::sqrt(2 * std::numbers::pi); };
  const double tail = 0.5 * std::erfc(kSizeClampSigma / std::sqrt(2.0));  // mass beyond each clamp point
  double m1 = tail * (std::exp(mu + sigma * lo) + std::exp(mu + sigma * hi));
  double m2 = tail * (std::exp(2 * (mu + sigma * lo)) + std::exp(2 * (mu + sigma * hi)));
  for (int i = 0; i < kSteps; ++i) {
    const double z = lo + (i + 0.5) * step;
    const double x = std::exp(mu + sigma * z);
    m1 += x * density(z) * step;
    m2 += x * x * density(z) * step;
  }
  return {m1, m2 - m1 * m1};
}

}  // namespace

double ExpectedTotalTokens(const ModelSpec& m) {
  return ClampedLognormalMoments(m.prompt_mu, m.prompt_sigma).first +
         (m.has_completion() ? ClampedLognormalMoments(m.completion_mu, m.completion_sigma).first : 0);
}

double TotalTokensStddev(const ModelSpec& m) {
  return std::sqrt(ClampedLognormalMoments(m.prompt_mu, m.prompt_sigma).second +
                   (m.has_completion() ? ClampedLognormalMoments(m.completion_mu, m.completion_sigma).second : 0));
}

double MaxTotalTokens(const ModelSpec& m) {
  return std::exp(m.prompt_mu + kSizeClampSigma * m.prompt_sigma) +
         (m.has_completion() ? std::exp(m.completion_mu + kSizeClampSigma * m.completion_sigma) : 0);
}

std::string ModelRatioJson(const Catalog& c) {
  return ObjectOf(
             c, [](const ModelSpec& m) { return m.model_ratio; }, [](const ModelSpec& m) { return !m.fixed_price(); })
      .dump();
}
std::string CompletionRatioJson(const Catalog& c) {
  return ObjectOf(
             c, [](const ModelSpec& m) { return m.completion_ratio; },
             [](const ModelSpec& m) { return !m.fixed_price(); })
      .dump();
}
std::string CacheRatioJson(const Catalog& c) {
  return ObjectOf(
             c, [](const ModelSpec& m) { return m.cache_ratio; },
             [](const ModelSpec& m) { return !m.fixed_price() && m.cache_ratio > 0; })
      .dump();
}
std::string ModelPriceJson(const Catalog& c) {
  return ObjectOf(
             c, [](const ModelSpec& m) { return m.model_price; }, [](const ModelSpec& m) { return m.fixed_price(); })
      .dump();
}
std::string GroupRatioJson(const Catalog& c) {
  nlohmann::json out = nlohmann::json::object();
  for (const Group& g : c.groups) out[g.name] = g.ratio;
  return out.dump();
}

}  // namespace sim
