// The allow-listed JSON of a log row.
#include "api/log_rows.h"

#include "observer/newapi/logs.h"

namespace exporter::api {

nlohmann::json LogRowJson(const observer::DbRowView& row) {
  const observer::newapi::LogRow r = observer::newapi::LogRowFrom(row);
  nlohmann::json out = {{"id", r.id},
                        {"created_at", r.created_at},
                        {"created_at_ms", r.created_at * 1000},
                        {"type", r.type},
                        {"user_id", r.user_id},
                        {"username", r.username},
                        {"token_id", r.token_id},
                        {"token_name", r.token_name},
                        {"model_name", r.model_name},
                        {"channel_id", r.channel_id},
                        {"group", r.group},
                        {"is_stream", r.is_stream},
                        {"prompt_tokens", r.prompt_tokens},
                        {"completion_tokens", r.completion_tokens},
                        {"quota", r.quota},
                        {"use_time", r.use_time},
                        {"ip", r.ip},
                        {"request_id", observer::DbString(row[17])},
                        {"cache_tokens", r.cache_tokens},
                        {"frt_ms", nullptr}};
  if (r.frt_ms) out["frt_ms"] = *r.frt_ms;
  return out;
}

}  // namespace exporter::api
