// The listener's HTTP/1.1 front: epoll, one thread, whole-request deadlines. OpenSSL for TLS.
#include <twofa/http_server.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

namespace twofa {

std::string_view IncomingRequest::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return v;
        }
    }
    return {};
}

namespace {

constexpr std::size_t k_max_headers = 100;

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

int parse_request_line(std::string_view line, IncomingRequest& req) {
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return 400;
    }
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (method.empty() || method.size() > 16 || target.empty() || target.front() != '/') {
        return 400;
    }
    for (char c : method) {
        if (c < 'A' || c > 'Z') {
            return 400;
        }
    }
    for (char c : target) {
        if (c <= 0x20 || c >= 0x7f) {
            return 400;
        }
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        return version.substr(0, 5) == "HTTP/" ? 505 : 400;
    }
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    req.http10 = version == "HTTP/1.0";
    return 0;
}

int parse_header_line(std::string_view line, IncomingRequest& req) {
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
        return 400; // includes obs-fold (a line starting with white space has no valid name)
    }
    std::string name(line.substr(0, colon));
    for (char& c : name) {
        if (!is_tchar(c)) {
            return 400;
        }
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            return 400;
        }
    }
    if (req.headers.size() >= k_max_headers) {
        return 431;
    }
    req.headers.emplace_back(std::move(name), std::string(value));
    return 0;
}

} // namespace

int parse_request_head(std::string_view head, IncomingRequest& req) {
    auto eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
        return 400;
    }
    if (int s = parse_request_line(line, req); s != 0) {
        return s;
    }
    while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 2);
        eol = head.find("\r\n");
        line = head.substr(0, eol);
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            return 400; // a bare CR or LF
        }
        if (int s = parse_header_line(line, req); s != 0) {
            return s;
        }
    }
    return 0;
}

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const char* reason(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 500 ? "Error" : "Server Error";
    }
}

OutgoingReply refusal(int status, const char* outcome) {
    OutgoingReply r;
    r.status = status;
    r.outcome = outcome;
    r.body = std::string(R"({"error":")") + reason(status) + "\"}";
    return r;
}

constexpr std::uint64_t k_listen_tag = 0;
constexpr std::uint64_t k_wake_tag = 1;

// draining: after refusing a request early, the rest of what the client sends is read and
// dropped for a moment, so closing does not reset the connection before it reads the reply.
enum class Phase { reading, processing, writing, draining };

struct Conn {
    std::uint64_t id = 0;
    int fd = -1;
    SSL* ssl = nullptr;
    bool handshaken = false;
    std::string remote;
    Phase phase = Phase::reading;
    std::string in;
    std::string out;
    std::size_t out_off = 0;
    bool got_bytes = false; // of the request being read
    bool head_done = false;
    std::size_t body_len = 0;
    IncomingRequest req;     // being read
    IncomingRequest current; // method, path and remote of the request being answered, for the log
    bool close_after = false;
    bool linger = false; // drain before closing
    int served = 0;
    std::int64_t since = 0;    // when this connection started waiting for its current request
    std::int64_t deadline = 0; // reading or writing must finish by then
    std::uint32_t events = 0;
};

} // namespace

struct HttpServer::Impl {
    HttpServerOptions o;
    HttpHandler handler;
    HttpLog log;
    SSL_CTX* tls = nullptr;
    int listen_fd = -1;
    int ep = -1;
    int wake_fd = -1;
    int max_conns = 0;
    std::atomic<bool> stopping{false};
    std::uint64_t next_id = 2;
    std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
    std::unordered_map<std::string, int> per_address;
    std::mutex ready_mutex;
    std::vector<std::pair<std::uint64_t, OutgoingReply>> ready;

    Impl(HttpServerOptions opt, HttpHandler h, HttpLog l)
        : o(std::move(opt)), handler(std::move(h)), log(std::move(l)) {}

    ~Impl() {
        while (!conns.empty()) {
            close_conn(*conns.begin()->second);
        }
        for (int fd : {listen_fd, ep, wake_fd}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        if (tls != nullptr) {
            SSL_CTX_free(tls);
        }
    }

    Status load_tls() {
        if (o.tls_cert.empty() != o.tls_key.empty()) {
            return make_error(Exit::usage, "TLS needs both a certificate and a key",
                              "give the certificate and the key together");
        }
        if (o.tls_cert.empty()) {
            return {};
        }
        tls = SSL_CTX_new(TLS_server_method());
        bool ok = tls != nullptr && SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION) == 1 &&
                  SSL_CTX_use_certificate_chain_file(tls, o.tls_cert.c_str()) == 1 &&
                  SSL_CTX_use_PrivateKey_file(tls, o.tls_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
                  SSL_CTX_check_private_key(tls) == 1;
        ERR_clear_error();
        if (!ok) {
            return make_error(Exit::config,
                              "cannot load the TLS certificate " + o.tls_cert + " or key " +
                                  o.tls_key,
                              "check both files (PEM) and their permissions");
        }
        SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        return {};
    }

    Result<int> open_listener() {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* found = nullptr;
        std::string port = std::to_string(o.port);
        auto fail = [&] {
            return make_error(Exit::unavailable,
                              "cannot listen on " + o.host + ":" + port + ": " +
                                  std::strerror(errno),
                              "is the port in use by another listener? choose another address");
        };
        if (::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
            errno = EADDRNOTAVAIL;
            return fail();
        }
        std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
        listen_fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int yes = 1;
        // SO_REUSEADDR only re-binds over TIME_WAIT on Linux; without SO_REUSEPORT a second
        // listener on the same port fails here instead of sharing the callbacks.
        if (listen_fd < 0 ||
            ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0 ||
            ::bind(listen_fd, found->ai_addr, found->ai_addrlen) != 0 ||
            ::listen(listen_fd, 1024) != 0) {
            return fail();
        }
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
        return bound.ss_family == AF_INET6
                   ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                   : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }

    // Room for the connection cap under the file limit (raised to its hard maximum).
    void size_limits() {
        rlimit lim{};
        if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
            lim.rlim_cur = lim.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &lim);
            ::getrlimit(RLIMIT_NOFILE, &lim);
        }
        auto room = static_cast<long>(lim.rlim_cur) - 64;
        max_conns = static_cast<int>(std::max(16L, std::min<long>(o.max_connections, room)));
    }

    void watch(Conn& c, std::uint32_t events) {
        if (c.events == events) {
            return;
        }
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = c.id;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        c.events = events;
    }

    void close_conn(Conn& c) {
        if (c.ssl != nullptr) {
            SSL_free(c.ssl);
        }
        ::close(c.fd); // also leaves the epoll set
        if (--per_address[c.remote] <= 0) {
            per_address.erase(c.remote);
        }
        conns.erase(c.id); // c is gone after this
    }

    // The oldest connection still waiting for (part of) a request, among those of `remote`
    // (or all when empty): a slow or idle client gives way to a new one.
    Conn* eviction_candidate(const std::string& remote) {
        Conn* best = nullptr;
        for (auto& [id, c] : conns) {
            if (c->phase == Phase::reading && (remote.empty() || c->remote == remote) &&
                (best == nullptr || c->since < best->since)) {
                best = c.get();
            }
        }
        return best;
    }

    void accept_all() {
        while (true) {
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                return; // EAGAIN, or out of descriptors until some close
            }
            char text[INET6_ADDRSTRLEN] = {};
            if (peer.ss_family == AF_INET6) {
                ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, text,
                            sizeof text);
            } else {
                ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text,
                            sizeof text);
            }
            std::string remote = text;
            if (!make_room(remote)) {
                ::close(fd);
                continue;
            }
            int yes = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
            auto c = std::make_unique<Conn>();
            c->id = next_id++;
            c->fd = fd;
            c->remote = remote;
            c->since = now_ms();
            c->deadline = c->since + o.request_timeout_ms;
            if (tls != nullptr) {
                c->ssl = SSL_new(tls);
                SSL_set_fd(c->ssl, fd);
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = c->id;
            c->events = EPOLLIN;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            per_address[remote] += 1;
            conns.emplace(c->id, std::move(c));
        }
    }

    // Frees a place for a new connection from `remote` by evicting the slowest reader when a
    // cap is reached; false when every place is busy with a request in progress.
    bool make_room(const std::string& remote) {
        auto it = per_address.find(remote);
        if (it != per_address.end() && it->second >= o.max_per_address) {
            Conn* victim = eviction_candidate(remote);
            if (victim == nullptr) {
                return false;
            }
            close_conn(*victim);
        }
        if (static_cast<int>(conns.size()) >= max_conns) {
            Conn* victim = eviction_candidate("");
            if (victim == nullptr) {
                return false;
            }
            close_conn(*victim);
        }
        return true;
    }

    // Reads what is available; false when the connection was closed.
    bool read_available(Conn& c) {
        char buf[16384];
        const std::size_t cap = o.max_header_bytes + o.max_body + sizeof buf;
        while (c.in.size() < cap) {
            long n = 0;
            if (c.ssl != nullptr) {
                int r = SSL_read(c.ssl, buf, sizeof buf);
                if (r <= 0) {
                    int e = SSL_get_error(c.ssl, r);
                    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                        return true;
                    }
                    ERR_clear_error();
                    close_conn(c);
                    return false;
                }
                n = r;
            } else {
                n = ::recv(c.fd, buf, sizeof buf, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    return true;
                }
                if (n <= 0) {
                    close_conn(c);
                    return false;
                }
            }
            if (!c.got_bytes) {
                c.got_bytes = true;
                if (c.served > 0) {
                    c.since = now_ms();
                    c.deadline = c.since + o.request_timeout_ms;
                }
            }
            c.in.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    }

    // Answers a malformed or oversized request itself and closes after the reply.
    void refuse(Conn& c, int status, const char* outcome) {
        c.current = c.req;
        c.current.body.clear();
        c.phase = Phase::processing;
        c.close_after = true;
        c.linger = true;
        respond(c, refusal(status, outcome));
    }

    // Checks the head's framing; 0, or the status to refuse it with.
    int frame(Conn& c) {
        std::size_t lengths = 0;
        std::string_view length;
        for (const auto& [k, v] : c.req.headers) {
            if (k == "content-length") {
                ++lengths;
                length = v;
            } else if (k == "transfer-encoding") {
                return 411;
            }
        }
        if (lengths > 1) {
            return 400;
        }
        if (lengths == 0) {
            return c.req.method == "POST" || c.req.method == "PUT" ? 411 : 0;
        }
        if (length.empty() || length.size() > 18 ||
            length.find_first_not_of("0123456789") != std::string_view::npos) {
            return 400;
        }
        c.body_len = std::stoull(std::string(length));
        return c.body_len > o.max_body ? 413 : 0;
    }

    // Parses what has been read; hands a complete request to the handler.
    void process(Conn& c) {
        if (!c.head_done) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos || end > o.max_header_bytes) {
                if (c.in.size() > o.max_header_bytes) {
                    refuse(c, 431, "headers-too-large");
                }
                return;
            }
            c.req = IncomingRequest{};
            c.req.remote = c.remote;
            int status = parse_request_head(std::string_view(c.in).substr(0, end), c.req);
            if (status == 0) {
                status = frame(c);
            }
            c.in.erase(0, end + 4);
            if (status != 0) {
                refuse(c, status,
                       status == 413   ? "too-large"
                       : status == 411 ? "length-required"
                       : status == 431 ? "headers-too-large"
                                       : "malformed-request");
                return;
            }
            c.head_done = true;
            if (c.body_len > c.in.size() && c.req.header("expect") == "100-continue") {
                static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
                write_raw(c, k_continue);
            }
        }
        if (c.in.size() < c.body_len) {
            return;
        }
        c.req.body = c.in.substr(0, c.body_len);
        c.in.erase(0, c.body_len);
        c.current.method = c.req.method;
        c.current.path = c.req.path;
        c.current.remote = c.remote;
        c.close_after = c.req.header("connection") == "close" || c.req.http10 ||
                        c.served + 1 >= o.keep_alive_max;
        c.phase = Phase::processing;
        watch(c, 0);
        std::uint64_t id = c.id;
        handler(std::move(c.req), [this, id](OutgoingReply r) { post(id, std::move(r)); });
    }

    // Best effort, for interim and last-gasp replies: whatever the socket takes now.
    void write_raw(Conn& c, std::string_view data) {
        if (c.ssl != nullptr) {
            SSL_write(c.ssl, data.data(), static_cast<int>(data.size()));
            ERR_clear_error();
        } else {
            [[maybe_unused]] auto n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
        }
    }

    void post(std::uint64_t id, OutgoingReply r) {
        {
            std::lock_guard lock(ready_mutex);
            ready.emplace_back(id, std::move(r));
        }
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }

    void deliver_ready() {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(wake_fd, &count, sizeof count);
        std::vector<std::pair<std::uint64_t, OutgoingReply>> batch;
        {
            std::lock_guard lock(ready_mutex);
            batch.swap(ready);
        }
        for (auto& [id, reply] : batch) {
            auto it = conns.find(id);
            if (it == conns.end()) {
                continue; // the client went away
            }
            respond(*it->second, reply);
        }
    }

    void respond(Conn& c, const OutgoingReply& reply) {
        if (log) {
            log(c.current, reply);
        }
        if (stopping) {
            c.close_after = true;
        }
        std::string& out = c.out;
        out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
              "\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(reply.body.size()) + "\r\n";
        for (const auto& [k, v] : reply.headers) {
            out += k + ": " + v + "\r\n";
        }
        out += c.close_after ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
        out += reply.body;
        c.out_off = 0;
        c.phase = Phase::writing;
        c.deadline = now_ms() + o.request_timeout_ms;
        flush(c);
    }

    void flush(Conn& c) {
        while (c.out_off < c.out.size()) {
            const char* p = c.out.data() + c.out_off;
            std::size_t left = c.out.size() - c.out_off;
            long n = 0;
            if (c.ssl != nullptr) {
                int r = SSL_write(c.ssl, p, static_cast<int>(left));
                if (r <= 0) {
                    int e = SSL_get_error(c.ssl, r);
                    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                        watch(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
                        return;
                    }
                    ERR_clear_error();
                    close_conn(c);
                    return;
                }
                n = r;
            } else {
                n = ::send(c.fd, p, left, MSG_NOSIGNAL);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    watch(c, EPOLLOUT);
                    return;
                }
                if (n < 0) {
                    close_conn(c);
                    return;
                }
            }
            c.out_off += static_cast<std::size_t>(n);
        }
        if (c.close_after && c.linger) {
            ::shutdown(c.fd, SHUT_WR);
            c.phase = Phase::draining;
            c.deadline = now_ms() + 2000;
            watch(c, EPOLLIN);
            return;
        }
        if (c.close_after) {
            close_conn(c);
            return;
        }
        // Keep-alive: wait for the next request (perhaps already read: pipelining).
        c.out.clear();
        c.served += 1;
        c.phase = Phase::reading;
        c.head_done = false;
        c.body_len = 0;
        c.got_bytes = !c.in.empty();
        c.since = now_ms();
        c.deadline = c.since + (c.got_bytes ? o.request_timeout_ms : o.idle_timeout_ms);
        watch(c, EPOLLIN);
        if (c.got_bytes) {
            process(c);
        }
    }

    void on_event(Conn& c) {
        if (c.ssl != nullptr && !c.handshaken) {
            int r = SSL_accept(c.ssl);
            if (r != 1) {
                int e = SSL_get_error(c.ssl, r);
                ERR_clear_error();
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    watch(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
                } else {
                    close_conn(c);
                }
                return;
            }
            c.handshaken = true;
            watch(c, EPOLLIN);
        }
        if (c.phase == Phase::reading) {
            if (read_available(c)) {
                process(c);
            }
        } else if (c.phase == Phase::writing) {
            flush(c);
        } else if (c.phase == Phase::draining) {
            char buf[16384];
            long n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close_conn(c);
            }
        }
    }

    void reap(std::int64_t now) {
        std::vector<Conn*> late;
        for (auto& [id, c] : conns) {
            if (c->phase != Phase::processing && now >= c->deadline) {
                late.push_back(c.get());
            }
        }
        for (Conn* c : late) {
            if (c->phase == Phase::reading && c->got_bytes) {
                c->current = c->req;
                c->current.remote = c->remote;
                if (log) {
                    log(c->current, refusal(408, "timeout"));
                }
                write_raw(*c, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n");
            }
            close_conn(*c);
        }
    }

    bool busy() const {
        for (const auto& [id, c] : conns) {
            if (c->phase == Phase::processing || c->phase == Phase::writing) {
                return true;
            }
        }
        return false;
    }

    void loop() {
        epoll_event events[64];
        std::int64_t next_reap = now_ms() + 100;
        std::int64_t drain_until = 0;
        while (true) {
            if (stopping && drain_until == 0) {
                ::epoll_ctl(ep, EPOLL_CTL_DEL, listen_fd, nullptr);
                drain_until = now_ms() + o.request_timeout_ms;
            }
            if (drain_until != 0 && (!busy() || now_ms() >= drain_until)) {
                return;
            }
            int n = ::epoll_wait(ep, events, 64, 100);
            for (int i = 0; i < n; ++i) {
                std::uint64_t tag = events[i].data.u64;
                if (tag == k_listen_tag) {
                    accept_all();
                } else if (tag == k_wake_tag) {
                    deliver_ready();
                } else if (auto it = conns.find(tag); it != conns.end()) {
                    on_event(*it->second);
                }
            }
            std::int64_t now = now_ms();
            if (now >= next_reap) {
                reap(now);
                next_reap = now + 100;
            }
        }
    }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpLog log)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(log))) {}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::bind() {
    auto& m = *m_impl;
    if (auto st = m.load_tls(); !st.ok()) {
        return st.error();
    }
    auto port = m.open_listener();
    if (!port.ok()) {
        return port;
    }
    m.size_limits();
    m.ep = ::epoll_create1(EPOLL_CLOEXEC);
    m.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m.ep < 0 || m.wake_fd < 0) {
        return make_error(Exit::internal, std::string("epoll: ") + std::strerror(errno),
                          "please report this bug");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k_listen_tag;
    ::epoll_ctl(m.ep, EPOLL_CTL_ADD, m.listen_fd, &ev);
    ev.data.u64 = k_wake_tag;
    ::epoll_ctl(m.ep, EPOLL_CTL_ADD, m.wake_fd, &ev);
    return port;
}

void HttpServer::run() {
    m_impl->loop();
}

void HttpServer::stop() {
    m_impl->stopping = true;
    if (m_impl->wake_fd >= 0) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(m_impl->wake_fd, &one, sizeof one);
    }
}

} // namespace twofa
