// The simulated new-api installation's fixed data: vendors, models with pricing and size distributions, groups,
// channel templates, and the quota formula (NOTES.md 3.4). Pure data, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

inline constexpr double kQuotaPerUnit = 500000.0;  // options.QuotaPerUnit: 500000 quota units = 1 USD

struct Vendor {
  int id;
  std::string name;
  std::string description;
};

struct ModelSpec {
  std::string name;
  int vendor_id;
  double model_ratio;       // 1 = USD 0.002 per 1K tokens
  double completion_ratio;  // completion tokens cost completion_ratio × prompt tokens
  double cache_ratio;       // cached prompt tokens cost cache_ratio × uncached ones (0 = no prompt caching)
  double model_price;       // USD per call for fixed-price models; -1 when billed by ratio
  // Token sizes are lognormal: ln(tokens) ~ N(mu, sigma). Samples are clamped at mu + kSizeClampSigma·sigma so
  // that ordinary traffic never reaches the big_request injection's "mean + 10σ".
  double prompt_mu, prompt_sigma;
  double completion_mu, completion_sigma;
  double popularity;         // relative share of consume requests
  double stream_share;       // share of requests with is_stream = 1
  double tokens_per_second;  // generation speed, for use_time
  double frt_ms;             // median first-token latency (streaming)
  std::string request_path;

  bool fixed_price() const { return model_price > 0; }
  // Embeddings and fixed-price media calls report no completion tokens (declared with completion_sigma 0).
  bool has_completion() const { return completion_sigma > 0; }
};

// Log-space clamp of sampled sizes (see ModelSpec).
inline constexpr double kSizeClampSigma = 2.6;

struct Group {
  std::string name;
  double ratio;
  double user_share;  // share of users in this group
};

struct ChannelTemplate {
  std::string name;
  int type;  // new-api channel type code (constant/channel.go)
  std::vector<std::string> models;
  std::vector<std::string> groups;
  int priority;
  int weight;
  int status;  // 1 enabled, 2 manually disabled, 3 auto-disabled
  std::string base_url;
  bool flaky;  // most error logs come from this channel
};

struct Catalog {
  std::vector<Vendor> vendors;
  std::vector<ModelSpec> models;
  std::vector<Group> groups;
  std::vector<ChannelTemplate> channel_templates;

  const ModelSpec* FindModel(const std::string& name) const;
  int ModelIndex(const std::string& name) const;  // -1 when unknown
  const Group& FindGroup(const std::string& name) const;
};

// The one catalog every part of the simulator uses.
const Catalog& DefaultCatalog();

// Quota units charged for one consume request (NOTES.md 3.4). prompt_tokens includes the cached tokens.
// Ratio billing: (uncached + cached·cache_ratio + completion·completion_ratio)·model_ratio·group_ratio, at least 1
// when any tokens were used. Fixed price: model_price·QuotaPerUnit·group_ratio.
int64_t ComputeQuota(const ModelSpec& model, double group_ratio, int64_t prompt_tokens, int64_t completion_tokens,
                     int64_t cache_tokens);

// Mean, standard deviation and maximum of a model's prompt+completion tokens (clamped lognormals), for sizing the
// big_request injection and its decoy.
double ExpectedTotalTokens(const ModelSpec& model);
double TotalTokensStddev(const ModelSpec& model);
double MaxTotalTokens(const ModelSpec& model);

// The options rows new-api stores pricing in: JSON objects keyed by model / group name.
std::string ModelRatioJson(const Catalog& catalog);
std::string CompletionRatioJson(const Catalog& catalog);
std::string ModelPriceJson(const Catalog& catalog);
std::string CacheRatioJson(const Catalog& catalog);
std::string GroupRatioJson(const Catalog& catalog);

}  // namespace sim
