// The engine backends behind DbClient; only db_client.cc creates them.
#pragma once

#include <memory>

#include "observer/db_client.h"

namespace observer {

std::unique_ptr<DbBackend> MakeMysqlBackend(const DbOptions& options);
std::unique_ptr<DbBackend> MakePostgresBackend(const DbOptions& options);

}  // namespace observer
