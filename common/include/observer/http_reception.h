// The connection handling under observer::HttpServer: one reception thread holds every connection until its request
// head is complete (bounded in size and time), and only then does a worker serve it, so slow clients never hold a
// worker.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

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

// An httplib::Server whose connections wait in the reception thread for a complete head (and, with TLS, for their
// handshake first). After each answer the connection goes back to the reception (keep-alive) unless its request
// carried a body that was not read in full (a refused or unread body is never parsed as the next request). It accepts
// on any number of listening addresses itself: httplib's own listen() is not used.
class ReceptionServer : public httplib::Server {
 public:
  explicit ReceptionServer(ReceptionLimits limits);
  ~ReceptionServer() override;

  const ReceptionLimits& limits() const { return limits_; }

  // Serves TLS with this context on every listener (call before Run()); null = plain HTTP.
  void UseTls(std::shared_ptr<SSL_CTX> context);
  // Binds host:port (port 0: any free port) and returns the port; throws std::runtime_error naming the address.
  int Listen(const std::string& host, int port);
  // Accepts on every bound address until Shutdown() (which may come first, from another thread).
  void Run();
  void Shutdown();

 private:
  friend class Reception;
  // A connection accepted on one of the listeners: handed to the reception.
  void Admit(socket_t sock);
  // Serves one request of a connection whose head is complete; on a worker thread.
  void ServeOne(std::shared_ptr<ReceptionConnection> connection, size_t head_bytes);

  ReceptionLimits limits_;
  std::atomic<Reception*> reception_{nullptr};
  std::shared_ptr<SSL_CTX> tls_;
  std::vector<socket_t> listeners_;
  int wake_[2] = {-1, -1};  // Shutdown() writes here to end Run()'s poll
  std::atomic<bool> stopping_{false};
};

}  // namespace observer
