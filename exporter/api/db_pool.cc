// The JSON API's connection pool.
#include "api/db_pool.h"

namespace exporter::api {

DbPool::DbPool(observer::DbOptions options, int size) : options_(std::move(options)), size_(size) {}

DbPool::Lease::~Lease() {
  if (client_) pool_->Release(std::move(client_));
}

std::optional<DbPool::Lease> DbPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!released_.wait_for(lock, wait, [this] { return !idle_.empty() || created_ < size_; })) return std::nullopt;
  if (!idle_.empty()) {
    std::unique_ptr<observer::DbClient> client = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(client));
  }
  ++created_;
  return Lease(this, std::make_unique<observer::DbClient>(options_));
}

void DbPool::Release(std::unique_ptr<observer::DbClient> client) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(client));
  }
  released_.notify_one();
}

}  // namespace exporter::api
