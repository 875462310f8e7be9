// What to do with an existing database before loading.
#include "load_plan.h"

namespace sim {

LoadAction DecideLoad(const DatabaseState& state, bool reset, bool is_run_command) {
  if (reset) return state.exists ? LoadAction::kRecreate : LoadAction::kCreate;
  if (!state.exists) return LoadAction::kCreate;
  if (state.table_count == 0) return LoadAction::kFill;
  if (!state.marker) return LoadAction::kRefuseForeign;
  if (state.marker->value("state", "") == "done") return is_run_command ? LoadAction::kSkip : LoadAction::kRefuseLoaded;
  return LoadAction::kRecreate;  // our own interrupted load
}

const char* LoadActionName(LoadAction action) {
  switch (action) {
    case LoadAction::kCreate: return "create";
    case LoadAction::kFill: return "fill";
    case LoadAction::kSkip: return "skip";
    case LoadAction::kRecreate: return "recreate";
    case LoadAction::kRefuseLoaded: return "refuse-loaded";
    case LoadAction::kRefuseForeign: return "refuse-foreign";
  }
  return "unknown";
}

}  // namespace sim
