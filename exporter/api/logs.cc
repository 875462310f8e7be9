// /api/logs: a subject's log rows, newest first, with a column allow-list and each row's channel name.
#include "api/handlers.h"
#include "api/log_rows.h"
#include "api/usage_sql.h"

namespace exporter::api {

Answer Logs(const LogsParams& p, observer::DbClient& db, const ApiContext& ctx) {
  nlohmann::json rows = nlohmann::json::array();
  observer::DbStatus status =
      db.QueryEach(LogRowsSql(SubjectCondition(db.dialect(), p.subject, p.subject_value), p.range, p.limit),
                   [&rows](const observer::DbRowView& row) { rows.push_back(LogRowJson(row)); });
  if (status.ok) status = AddChannelNames(*ctx.names, db, rows);
  if (!status.ok) return DbFailure(status);
  return Answer::Ok(std::move(rows), "logs");
}

}  // namespace exporter::api
