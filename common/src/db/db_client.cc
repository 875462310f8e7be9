// DbClient's engine choice, the value helpers shared by both engines and new-api's DSN forms.
#include "observer/db_client.h"

#include <charconv>
#include <cstdlib>

#include "db/backends.h"

namespace observer {

DbClient::DbClient(DbOptions options)
    : options_(std::move(options)),
      dialect_(options_.engine),
      backend_(options_.engine == DbEngine::kPostgres ? MakePostgresBackend(options_) : MakeMysqlBackend(options_)) {}

DbClient::~DbClient() = default;

int DefaultPort(DbEngine engine) { return engine == DbEngine::kPostgres ? 5432 : 3306; }

bool ParseDbEngine(std::string_view text, DbEngine* out) {
  if (text == "mysql" || text == "mariadb") {
    *out = DbEngine::kMySQL;
    return true;
  }
  if (text == "postgres" || text == "postgresql") {
    *out = DbEngine::kPostgres;
    return true;
  }
  return false;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of a URI part; false on a broken escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// "host:port", "host", "[v6]:port" into host and port (port untouched when absent).
std::string SplitHostPort(std::string_view text, std::string* host, int* port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host";
    *host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return "unexpected text after the IPv6 host";
      port_text = text.substr(close + 2);
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    *host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    *host = std::string(text);
  }
  if (!port_text.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value < 1 || value > 65535) {
      return "the port is not a number from 1 to 65535";
    }
    *port = value;
  }
  return "";
}

std::string ParsePostgresUri(std::string_view dsn, DbOptions* out) {
  const size_t scheme_end = dsn.find("://");
  std::string_view rest = dsn.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view database = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  out->engine = DbEngine::kPostgres;
  out->port = DefaultPort(DbEngine::kPostgres);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (!PercentDecode(userinfo.substr(0, colon), &out->user)) return "a broken %-escape in the user name";
    if (colon != std::string_view::npos && !PercentDecode(userinfo.substr(colon + 1), &out->password)) {
      return "a broken %-escape in the password";
    }
  }
  if (authority.find(',') != std::string_view::npos) return "several hosts are not supported; name one";
  if (std::string error = SplitHostPort(authority, &out->host, &out->port); !error.empty()) return error;
  if (out->host.empty()) return "no host (a Unix socket DSN is not supported: use host:port)";
  if (!PercentDecode(database, &out->database)) return "a broken %-escape in the database name";
  if (out->database.empty()) return "no database name after the host";
  return "";
}

// go-sql-driver/mysql: [user[:password]@][protocol[(address)]]/dbname[?params]
std::string ParseMysqlDsn(std::string_view dsn, DbOptions* out) {
  out->engine = DbEngine::kMySQL;
  out->port = DefaultPort(DbEngine::kMySQL);
  const size_t slash = dsn.rfind('/');
  if (slash == std::string_view::npos) return "no '/database' part";
  std::string_view database = dsn.substr(slash + 1);
  database = database.substr(0, database.find('?'));
  std::string_view head = dsn.substr(0, slash);
  if (const size_t at = head.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = head.substr(0, at);
    head = head.substr(at + 1);
    const size_t colon = userinfo.find(':');
    out->user = std::string(userinfo.substr(0, colon));
    out->password = colon == std::string_view::npos ? "" : std::string(userinfo.substr(colon + 1));
  }
  if (head.empty()) {
    out->host = "127.0.0.1";
  } else {
    const size_t open = head.find('(');
    const std::string_view protocol = head.substr(0, open);
    if (protocol != "tcp") return "only the tcp(host:port) protocol is supported";
    if (open == std::string_view::npos || head.back() != ')') return "expected tcp(host:port)";
    if (std::string error = SplitHostPort(head.substr(open + 1, head.size() - open - 2), &out->host, &out->port);
        !error.empty()) {
      return error;
    }
    if (out->host.empty()) out->host = "127.0.0.1";
  }
  out->database = std::string(database);
  if (out->database.empty()) return "no database name after '/'";
  return "";
}

}  // namespace

std::string ParseDsn(std::string_view dsn, DbOptions* out) {
  if (dsn.rfind("postgres://", 0) == 0 || dsn.rfind("postgresql://", 0) == 0) return ParsePostgresUri(dsn, out);
  if (dsn.find("://") != std::string_view::npos) {
    return "unsupported scheme (expected postgresql://... or new-api's MySQL form user:pass@tcp(host:port)/db)";
  }
  if (dsn.empty() || dsn.rfind("local", 0) == 0) return "SQLite (an empty or local DSN) is not supported";
  return ParseMysqlDsn(dsn, out);
}

ServerFlavor FlavorFromVersion(std::string_view version) {
  if (version.empty()) return ServerFlavor::kUnknown;
  if (version.find("MariaDB") != std::string_view::npos || version.find("mariadb") != std::string_view::npos) {
    return ServerFlavor::kMariaDB;
  }
  return ServerFlavor::kMySQL;
}

const char* FlavorName(ServerFlavor flavor) {
  switch (flavor) {
    case ServerFlavor::kMySQL: return "mysql";
    case ServerFlavor::kMariaDB: return "mariadb";
    case ServerFlavor::kPostgreSQL: return "postgresql";
    case ServerFlavor::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

int64_t DbInt(std::optional<std::string_view> value) {
  int64_t out = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), out);
  return out;
}

double DbDouble(std::optional<std::string_view> value) {
  return value ? std::strtod(std::string(*value).c_str(), nullptr) : 0.0;
}

std::string DbString(std::optional<std::string_view> value) { return value ? std::string(*value) : std::string(); }

}  // namespace observer
