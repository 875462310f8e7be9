// A small bounded pool of read-only database connections for the JSON API, separate from the collectors' own: a
// request waits briefly for a free connection and is turned away (429) when all stay busy, so the API can never put
// more than `size` queries on new-api's database at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "observer/db_client.h"

namespace exporter::api {

class DbPool {
 public:
  DbPool(observer::DbOptions options, int size);

  // A connection held for one request; returned to the pool when destroyed. Connect lazily: the connection may be
  // closed (new, or lost by the previous request).
  class Lease {
   public:
    Lease(DbPool* pool, std::unique_ptr<observer::DbClient> client) : pool_(pool), client_(std::move(client)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    observer::DbClient& db() { return *client_; }

   private:
    DbPool* pool_;
    std::unique_ptr<observer::DbClient> client_;
  };

  // nullopt when every connection stayed busy for `wait`.
  std::optional<Lease> Acquire(std::chrono::milliseconds wait);
  int size() const { return size_; }

 private:
  void Release(std::unique_ptr<observer::DbClient> client);

  const observer::DbOptions options_;
  const int size_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<observer::DbClient>> idle_;
  int created_ = 0;
};

}  // namespace exporter::api
