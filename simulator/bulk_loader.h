// Streams the generated history into `logs` with DbClient::LoadTsv (LOAD DATA LOCAL INFILE on MySQL, COPY FROM STDIN
// on PostgreSQL): a producer thread renders TSV blocks while the server ingests them. Also loads quota_data from a
// temporary file the producer writes alongside.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "observer/db_client.h"
#include "traffic.h"

namespace sim {

struct BulkLoadResult {
  observer::DbStatus status;
  int64_t rows = 0;
  int64_t last_id = 0;
  std::string quota_data_file;  // TSV for LoadQuotaData (the caller removes it)
  double seconds = 0;           // rows only (the caller times the index build)
};

// Loads every row of the generator into logs (which must have no secondary indexes yet), adding each row to
// totals. Logs progress every ~2 s. Returns early with a failure when stop becomes true.
BulkLoadResult LoadHistory(observer::DbClient& db, HistoryGenerator& generator, UsageTotals& totals,
                           const std::atomic<bool>& stop);

// Loads the quota_data TSV written by LoadHistory; the caller runs it on a second connection while the logs
// indexes build, so both cores work. Sets *rows to the table's row count.
observer::DbStatus LoadQuotaData(observer::DbClient& db, const std::string& path, int64_t* rows);

}  // namespace sim
