// Decides what `load` / `run` do with the database they find: create it, fill an empty one, skip a finished
// simulator load, redo an interrupted one, or refuse to touch a database the simulator did not create. Pure.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sim {

// The options row that marks a database as the simulator's: {"state":"loading"|"done", seed, users, ...}.
inline constexpr const char* kMarkerKey = "SimulatorState";

struct DatabaseState {
  bool exists = false;
  int table_count = 0;
  std::optional<nlohmann::json> marker;  // the SimulatorState value when present and parseable
};

enum class LoadAction {
  kCreate,         // no database: create it, then load
  kFill,           // database without tables: create the tables, then load
  kSkip,           // a finished simulator load: nothing to do (run continues with live traffic)
  kRecreate,       // --reset, or an interrupted simulator load: drop, create, load
  kRefuseLoaded,   // `load` on a finished simulator database without --reset
  kRefuseForeign,  // tables that are not the simulator's: never dropped without --reset
};

LoadAction DecideLoad(const DatabaseState& state, bool reset, bool is_run_command);
const char* LoadActionName(LoadAction action);

}  // namespace sim
