// Connection handling for observer::HttpServer: heads are received by one thread, bounded in size and time, before a
// worker parses and serves them; bodies have a total deadline; a connection with an unread body is closed.
//
// Why: cpp-httplib 0.11.4 (Debian 12, a compiled library, so its CPPHTTPLIB_* limits cannot be changed from here)
// gives each connection a worker for its whole life and buffers a header line until its end. Eight clients sending a
// byte every few seconds held all eight workers (every /metrics scrape timed out); one 200 MB header line or 13,000
// headers were read into memory. httplib lets a subclass call process_request() with its own Stream: that is the hook
// used here, on connections this server accepts itself on all its listeners (several addresses share one reception
// and one set of workers). With TLS, the handshake
// happens in the reception too, under the same head deadline, so a client that stalls its handshake holds no worker
// either; the workers read and write through the connection's SSL object.
#include "observer/http_reception.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace observer {

using Clock = std::chrono::steady_clock;

struct ReceptionConnection {
  socket_t fd = -1;
  std::string buffered;        // received but not yet handed to httplib: the start of the next request
  size_t served = 0;           // requests answered on this connection (keep-alive limit)
  Clock::time_point deadline;  // the next head must be complete by then (or, draining, when it is closed)
  // Answered but with a body left unread: the reception reads and drops what still arrives (until the deadline, at
  // most kMaxDrainBytes) before closing, so the client reads the refusal instead of a reset connection.
  bool draining = false;
  size_t drained = 0;
  SSL* ssl = nullptr;        // TLS: the session (the socket is then non-blocking)
  bool handshaking = false;  // TLS: the handshake is not complete yet
  short events = POLLIN;     // what the reception waits for (a TLS handshake may need to write)

  ~ReceptionConnection() {
    if (ssl != nullptr) SSL_free(ssl);
  }
};

namespace {

// Where the request head in text ends (just past its blank line), or npos while it is incomplete.
size_t HeadEnd(const std::string& text) {
  const size_t blank = text.find("\r\n\r\n");
  return blank == std::string::npos ? blank : blank + 4;
}

void CloseSocket(socket_t fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

int MillisecondsUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60000));
}

bool WaitFor(socket_t fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

void AddressOf(socket_t fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if ((peer ? ::getpeername(fd, raw, &length) : ::getsockname(fd, raw, &length)) != 0) return;
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(raw, length, host, sizeof host, service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

// What httplib reads a request from: first the bytes the reception already received, then the socket, with one
// deadline for the whole body rather than httplib's timeout per read (which a trickle resets forever).
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(socket_t fd, SSL* ssl, std::string buffered, Clock::time_point read_deadline, int write_timeout_ms)
      : fd_(fd),
        ssl_(ssl),
        buffered_(std::move(buffered)),
        read_deadline_(read_deadline),
        write_timeout_ms_(write_timeout_ms) {}

  bool is_readable() const override {
    return offset_ < buffered_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0) ||
           WaitFor(fd_, POLLIN, MillisecondsUntil(read_deadline_));
  }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < buffered_.size()) {
      const size_t n = std::min(size, buffered_.size() - offset_);
      std::memcpy(ptr, buffered_.data() + offset_, n);
      offset_ += n;
      delivered_ += n;
      return static_cast<ssize_t>(n);
    }
    if (ssl_ != nullptr) return ReadTls(ptr, size);
    if (!WaitFor(fd_, POLLIN, MillisecondsUntil(read_deadline_))) return -1;
    const ssize_t n = ::recv(fd_, ptr, size, MSG_DONTWAIT);
    if (n > 0) delivered_ += static_cast<size_t>(n);
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (ssl_ != nullptr) return WriteTls(ptr, size);
    if (!is_writable()) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { AddressOf(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { AddressOf(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

  // TLS on the non-blocking socket: wait for what OpenSSL asks for, within the body deadline.
  ssize_t ReadTls(char* ptr, size_t size) {
    for (;;) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (n > 0) {
        delivered_ += static_cast<size_t>(n);
        return n;
      }
      const int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_ZERO_RETURN) return 0;
      const short wanted = error == SSL_ERROR_WANT_READ ? POLLIN : error == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      if (wanted == 0 || !WaitFor(fd_, wanted, MillisecondsUntil(read_deadline_))) return -1;
    }
  }

  ssize_t WriteTls(const char* ptr, size_t size) {
    if (size == 0) return 0;
    for (;;) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (n > 0) return n;
      const int error = SSL_get_error(ssl_, n);
      const short wanted = error == SSL_ERROR_WANT_READ ? POLLIN : error == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      if (wanted == 0 || !WaitFor(fd_, wanted, write_timeout_ms_)) return -1;
    }
  }

  // Bytes handed to httplib so far.
  size_t delivered() const { return delivered_; }
  // Received bytes httplib did not take: the start of a pipelined next request.
  std::string Leftover() const { return buffered_.substr(offset_); }

 private:
  socket_t fd_;
  SSL* ssl_;  // null for plain HTTP
  std::string buffered_;
  size_t offset_ = 0;
  size_t delivered_ = 0;
  Clock::time_point read_deadline_;
  int write_timeout_ms_;
};

constexpr size_t kMaxDrainBytes = 1 << 20;
constexpr std::chrono::seconds kDrainTime{2};

// GET, HEAD and OPTIONS: methods whose body httplib never reads, so their worker never waits on the client.
bool WithoutBody(const std::string& head) {
  return head.rfind("GET ", 0) == 0 || head.rfind("HEAD ", 0) == 0 || head.rfind("OPTIONS ", 0) == 0;
}

// The body a request head announces: known (a Content-Length, or none meaning empty) or not (Transfer-Encoding, a
// malformed length), in which case the connection cannot be reused after the answer.
struct DeclaredBody {
  bool known = false;
  size_t length = 0;
};

DeclaredBody DeclaredBodyOf(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding") || req.get_header_value_count("Content-Length") > 1) return {};
  if (!req.has_header("Content-Length")) return {true, 0};
  const std::string text = req.get_header_value("Content-Length");
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return {};
  return {true, static_cast<size_t>(std::stoull(text))};
}

// Reads what is there without waiting: bytes (> 0), 0 when the connection ended (or TLS failed), -1 with errno
// EAGAIN when nothing has arrived yet. A draining connection is read raw: what it still sends is dropped anyway.
ssize_t ReceiveNow(ReceptionConnection& connection, char* buffer, size_t size) {
  if (connection.ssl == nullptr || connection.draining) return ::recv(connection.fd, buffer, size, MSG_DONTWAIT);
  ERR_clear_error();
  const int n = SSL_read(connection.ssl, buffer, static_cast<int>(size));
  if (n > 0) return n;
  const int error = SSL_get_error(connection.ssl, n);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  return 0;
}

// Sends an answer the reception writes itself (the 431), best effort and without waiting.
void SendNow(ReceptionConnection& connection, const std::string& data) {
  if (connection.ssl == nullptr) {
    ::send(connection.fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  ERR_clear_error();
  SSL_write(connection.ssl, data.data(), static_cast<int>(data.size()));
}

// Ends our side of a connection after its answer: TLS says close_notify first.
void EndOurSide(ReceptionConnection& connection) {
  if (connection.ssl != nullptr && !connection.handshaking) {
    ERR_clear_error();
    SSL_shutdown(connection.ssl);
  }
  ::shutdown(connection.fd, SHUT_WR);
}

std::string HeadTooLargeAnswer() {
  const std::string body = R"({"error":"request head too large","code":431})";
  return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

// The reception thread and the workers of one ReceptionServer::Run().
class Reception {
 public:
  explicit Reception(ReceptionServer& server)
      : server_(server), workers_(server.limits().workers), body_workers_(server.limits().body_workers) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("cannot create the reception's pipe");
    thread_ = std::thread([this] { Run(); });
  }

  void Shutdown() {
    server_.reception_ = nullptr;  // connections finishing from now on are closed
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    Wake();
    thread_.join();
    workers_.shutdown();  // requests in progress finish; their connections are closed, not admitted again
    body_workers_.shutdown();
    for (auto& connection : inbox_) CloseSocket(connection->fd);
    inbox_.clear();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  // A new connection, or one back from a worker after its answer: waits here for its next head.
  void Admit(std::shared_ptr<ReceptionConnection> connection) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        inbox_.push_back(std::move(connection));
        connection = nullptr;
      }
    }
    if (connection) {
      CloseSocket(connection->fd);
      return;
    }
    Wake();
  }

 private:
  void Wake() {
    const char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }

  // Hands a connection with a complete head to a worker (returns true), or keeps it waiting: for more of its head, or
  // draining after a 431 for a head that is too large.
  bool Settle(const std::shared_ptr<ReceptionConnection>& connection) {
    if (connection->draining) return false;
    const size_t head_end = HeadEnd(connection->buffered);
    const size_t max_head = server_.limits().max_head_bytes;
    if (head_end != std::string::npos && head_end <= max_head) {
      auto& pool = WithoutBody(connection->buffered) ? workers_ : body_workers_;
      pool.enqueue([this, connection, head_end] { server_.ServeOne(connection, head_end); });
      return true;
    }
    if (connection->buffered.size() >= max_head) {
      static const std::string answer = HeadTooLargeAnswer();
      SendNow(*connection, answer);
      EndOurSide(*connection);
      connection->buffered.clear();
      connection->draining = true;
      connection->deadline = Clock::now() + kDrainTime;
      return false;
    }
    return false;
  }

  enum class Progress { kWaiting, kHandedOver, kClosed };

  static bool HasPendingTls(const ReceptionConnection& connection) {
    return connection.ssl != nullptr && !connection.handshaking && !connection.draining &&
           SSL_pending(connection.ssl) > 0;
  }

  // Advances a connection that poll() found ready: its TLS handshake, then its head (or the drain after an answer).
  Progress Receive(const std::shared_ptr<ReceptionConnection>& connection, std::vector<char>& chunk) {
    if (connection->handshaking) {
      ERR_clear_error();
      const int done = SSL_accept(connection->ssl);
      if (done != 1) {
        const int error = SSL_get_error(connection->ssl, done);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
          connection->events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
          return Progress::kWaiting;
        }
        return Progress::kClosed;  // not TLS, an unacceptable client certificate, ...
      }
      connection->handshaking = false;
      connection->events = POLLIN;
    }
    for (;;) {
      // Never more than the head limit: a longer head is refused by Settle() without reading the rest.
      const size_t room =
          connection->draining ? chunk.size() : server_.limits().max_head_bytes - connection->buffered.size();
      if (room == 0) break;
      const ssize_t n = ReceiveNow(*connection, chunk.data(), std::min(room, chunk.size()));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return Progress::kClosed;
      if (n < 0) break;
      if (connection->draining) {
        connection->drained += static_cast<size_t>(n);
        if (connection->drained > kMaxDrainBytes) return Progress::kClosed;
      } else {
        connection->buffered.append(chunk.data(), static_cast<size_t>(n));
      }
      // Plain sockets: one read per readiness, as poll() reports the rest. TLS: OpenSSL may hold more of the record.
      if (connection->ssl == nullptr || connection->draining) break;
    }
    return Settle(connection) ? Progress::kHandedOver : Progress::kWaiting;
  }

  void Run() {
    std::vector<std::shared_ptr<ReceptionConnection>> waiting;
    std::vector<char> chunk(4096);
    for (;;) {
      std::vector<std::shared_ptr<ReceptionConnection>> arrived;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) break;
        arrived.swap(inbox_);
      }
      for (auto& connection : arrived) {
        if (!Settle(connection)) waiting.push_back(std::move(connection));
      }

      std::vector<pollfd> polled{{wake_[0], POLLIN, 0}};
      Clock::time_point next_deadline = Clock::now() + std::chrono::seconds(60);
      for (const auto& connection : waiting) {
        polled.push_back({connection->fd, connection->events, 0});
        next_deadline = std::min(next_deadline, connection->deadline);
        // Decrypted bytes already inside OpenSSL (a pipelined request) make no socket readable: do not wait.
        if (HasPendingTls(*connection)) next_deadline = Clock::now();
      }
      if (::poll(polled.data(), polled.size(), MillisecondsUntil(next_deadline)) < 0 && errno != EINTR) break;
      if (polled[0].revents != 0) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
      }

      const Clock::time_point now = Clock::now();
      std::vector<std::shared_ptr<ReceptionConnection>> still_waiting;
      for (size_t i = 0; i < waiting.size(); ++i) {
        auto& connection = waiting[i];
        if (polled[i + 1].revents != 0 || HasPendingTls(*connection)) {
          const Progress progress = Receive(connection, chunk);
          if (progress == Progress::kClosed) {
            CloseSocket(connection->fd);
            continue;
          }
          if (progress == Progress::kHandedOver) continue;
        }
        if (now >= connection->deadline) {  // too slow (or an idle keep-alive connection): close, no answer
          CloseSocket(connection->fd);
          continue;
        }
        still_waiting.push_back(std::move(connection));
      }
      waiting.swap(still_waiting);
    }
    for (auto& connection : waiting) CloseSocket(connection->fd);
  }

  ReceptionServer& server_;
  httplib::ThreadPool workers_;
  httplib::ThreadPool body_workers_;
  std::thread thread_;
  int wake_[2] = {-1, -1};
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<ReceptionConnection>> inbox_;
};

ReceptionServer::ReceptionServer(ReceptionLimits limits) : limits_(limits) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("cannot create the server's pipe");
}

ReceptionServer::~ReceptionServer() {
  for (socket_t listener : listeners_) ::close(listener);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void ReceptionServer::UseTls(std::shared_ptr<SSL_CTX> context) {
  // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a client gone mid-answer would raise SIGPIPE
  // and end the process.
  if (context) std::signal(SIGPIPE, SIG_IGN);
  tls_ = std::move(context);
}

int ReceptionServer::Listen(const std::string& host, int port) {
  const std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    throw std::runtime_error("cannot listen on " + address + ": unknown host");
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  const socket_t listener =
      ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, found->ai_protocol);
  if (listener < 0) throw std::runtime_error("cannot listen on " + address + ": " + std::strerror(errno));
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second process silently share the port, and a
  // taken port must be a start-up error instead.
  int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(listener, found->ai_addr, found->ai_addrlen) != 0 || ::listen(listener, SOMAXCONN) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(listener);
    throw std::runtime_error("cannot listen on " + address + " (" + reason + ")");
  }
  listeners_.push_back(listener);
  std::string ip;
  int bound = 0;
  AddressOf(listener, false, ip, bound);
  return bound;
}

void ReceptionServer::Run() {
  Reception reception(*this);
  reception_ = &reception;
  std::vector<pollfd> polled{{wake_[0], POLLIN, 0}};
  for (socket_t listener : listeners_) polled.push_back({listener, POLLIN, 0});
  while (!stopping_) {
    if (::poll(polled.data(), polled.size(), 1000) < 0 && errno != EINTR) break;
    for (size_t i = 1; i < polled.size(); ++i) {
      if (polled[i].revents == 0) continue;
      const socket_t sock = ::accept4(polled[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (sock >= 0) {
        Admit(sock);
      } else if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: the listener stays readable, so wait for connections to close instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  reception.Shutdown();
}

void ReceptionServer::Shutdown() {
  stopping_ = true;
  const char byte = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
}

void ReceptionServer::Admit(socket_t sock) {
  Reception* reception = reception_.load();
  if (reception == nullptr) {
    CloseSocket(sock);
    return;
  }
  // Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm holds the body until the
  // client's delayed ACK (40 ms on Linux) on every keep-alive request.
  int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  // As httplib's own accept loop did: a blocking send() to a client that stopped reading ends after the write timeout
  // instead of holding its worker.
  timeval read_timeout{static_cast<time_t>(read_timeout_sec_), static_cast<suseconds_t>(read_timeout_usec_)};
  timeval write_timeout{static_cast<time_t>(write_timeout_sec_), static_cast<suseconds_t>(write_timeout_usec_)};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
  ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &write_timeout, sizeof write_timeout);
  auto connection = std::make_shared<ReceptionConnection>();
  connection->fd = sock;
  connection->deadline = Clock::now() + limits_.head_deadline;
  if (tls_) {
    connection->ssl = SSL_new(tls_.get());
    if (connection->ssl == nullptr || SSL_set_fd(connection->ssl, sock) != 1 ||
        ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK) != 0) {
      CloseSocket(sock);
      return;
    }
    connection->handshaking = true;
  }
  reception->Admit(std::move(connection));
}

void ReceptionServer::ServeOne(std::shared_ptr<ReceptionConnection> connection, size_t head_bytes) {
  const bool last = connection->served + 1 >= keep_alive_max_count_;
  const int write_timeout_ms = static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
  GuardedStream stream(connection->fd, connection->ssl, std::move(connection->buffered),
                       Clock::now() + limits_.body_deadline, write_timeout_ms);
  DeclaredBody body;
  bool closed = false;
  const bool ok = process_request(stream, last, closed, [&body](httplib::Request& req) {
    body = DeclaredBodyOf(req);
    // Without a known length the connection ends after this answer; say so in it.
    if (!body.known) req.set_header("Connection", "close");
  });
  // Reused only when the body the head announced was read in full: an unread body would be parsed as a request.
  const bool reuse = ok && !closed && !last && body.known && stream.delivered() == head_bytes + body.length;
  Reception* reception = reception_.load();
  if (reception == nullptr || (!reuse && !ok)) {
    CloseSocket(connection->fd);
    return;
  }
  if (!reuse) {  // answered: end our side after the answer, drop what the client still sends, then close
    EndOurSide(*connection);
    connection->buffered.clear();
    connection->draining = true;
    connection->deadline = Clock::now() + kDrainTime;
    reception->Admit(std::move(connection));
    return;
  }
  connection->buffered = stream.Leftover();
  connection->served += 1;
  connection->deadline = Clock::now() + limits_.head_deadline;
  reception->Admit(std::move(connection));
}

}  // namespace observer
