// A `logs` row as the API shows it: the allow-list of fields that may leave the exporter. Never content, never the
// `other` JSON (it holds admin_info), never a key or password; only frt and cache_tokens are read from `other`.
#pragma once

#include <nlohmann/json.hpp>

#include "observer/db_client.h"

namespace exporter::api {

// From a row selected by LogRowsSql (newapi::kLogColumns, then request_id).
nlohmann::json LogRowJson(const observer::DbRowView& row);

}  // namespace exporter::api
