// The version and git revision this binary was built from (common/src/build_info.cc.in, filled in by CMake at
// configure time into one small source, so a new revision recompiles that file only).
#pragma once

namespace observer {

extern const char* const kBuildVersion;
extern const char* const kBuildRevision;

}  // namespace observer
