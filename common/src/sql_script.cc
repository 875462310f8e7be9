// SQL script splitting.
#include "observer/sql_script.h"

#include <sstream>

namespace observer {

std::vector<std::string> SplitSqlScript(std::string_view script) {
  std::vector<std::string> statements;
  std::istringstream in{std::string(script)};
  std::string line, statement;
  while (std::getline(in, line)) {
    if (line.rfind("--", 0) == 0 || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    statement += line + "\n";
    if (const size_t end = line.find_last_not_of(" \t\r"); line[end] == ';') {
      statement.erase(statement.find_last_of(';'));
      statements.push_back(statement);
      statement.clear();
    }
  }
  return statements;
}

}  // namespace observer
