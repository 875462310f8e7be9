// Splits a SQL script (our schema files) into statements: `--` comment lines dropped, a statement ends with `;` at
// the end of a line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace observer {

std::vector<std::string> SplitSqlScript(std::string_view script);

}  // namespace observer
