// The connection handling under observer::HttpServer: one reception thread holds every connection until its request
// head is complete (bounded in size and time), and only then does a worker serve it, so slow clients never hold a worker.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <atomic>
#include <memory>

namespace observer {

struct ReceptionLimits {
  // The request line and all header lines together; a longer head is answered 431 and the connection closed.
  size_t max_head_bytes = 16 * 1024;
  // A connection must deliver a complete request head this long after it is accepted (or after its previous
  // answer, on keep-alive); otherwise it is closed without taking a worker.
  std::chrono::milliseconds head_deadline{5000};
  // Once a worker has a request, its body must arrive within this time in total (not per read).
  std::chrono::milliseconds body_deadline{10000};
  // Workers that run handlers; only requests with a complete head reach them. GET, HEAD and OPTIONS requests (whose
  // body httplib never reads) have their own, so clients trickling a POST body cannot delay /metrics or health.
  size_t workers = 8;
  size_t body_workers = 4;
};

class Reception;
struct ReceptionConnection;

// An httplib::Server whose connections wait in the reception thread for a complete head. After each answer the
// connection goes back to the reception (keep-alive) unless its request carried a body that was not read in full
// (a refused or unread body is never parsed as the next request).
class ReceptionServer : public httplib::Server {
 public:
  explicit ReceptionServer(ReceptionLimits limits);
  ~ReceptionServer() override;

  const ReceptionLimits& limits() const { return limits_; }

 private:
  friend class Reception;
  // httplib calls this (on the listening thread, through the task queue below) for each accepted socket.
  bool process_and_close_socket(socket_t sock) override;
  // Serves one request of a connection whose head is complete; on a worker thread.
  void ServeOne(std::shared_ptr<ReceptionConnection> connection, size_t head_bytes);

  ReceptionLimits limits_;
  std::atomic<Reception*> reception_{nullptr};
};

}  // namespace observer
