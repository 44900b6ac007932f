// The listener's HTTP front: sockets, accepting with connection caps, the epoll loop and the
// deadlines. OpenSSL for TLS.
#include "server_impl.hpp"
#include "util/lazy_library.hpp"

#include <twofa/validate.hpp>

#include <openssl/err.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace twofa {

using namespace http_detail;

HttpServer::Impl::~Impl() {
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

Status HttpServer::Impl::load_tls() {
    if (o.tls_cert.empty() != o.tls_key.empty()) {
        return make_error(Exit::usage, "TLS needs both a certificate and a key",
                          "give the certificate and the key together");
    }
    if (o.tls_cert.empty()) {
        return {};
    }
    // The private key may be readable by a group (Debian's ssl-cert convention: 0640
    // root:ssl-cert) but never by others, and writable by its owner alone. Symbolic links are
    // followed (certbot's live/ folder), the file they reach is checked.
    struct stat st {};
    if (::stat(o.tls_key.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(Exit::config,
                          "TLS key " + strip_control(o.tls_key) + " is not a readable file",
                          "check callback.tls_key");
    }
    if ((st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)) != 0) {
        return make_error(Exit::config,
                          "TLS key " + strip_control(o.tls_key) +
                              " is accessible by others or writable by its group",
                          "run: chmod 600 " + strip_control(o.tls_key) +
                              " (or 640 with a trusted group such as ssl-cert)");
    }
    TRY(detail::load_libssl());
    tls = SSL_CTX_new(TLS_server_method());
    bool ok = tls != nullptr && SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION) == 1 &&
              SSL_CTX_use_certificate_chain_file(tls, o.tls_cert.c_str()) == 1 &&
              SSL_CTX_use_PrivateKey_file(tls, o.tls_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
              SSL_CTX_check_private_key(tls) == 1;
    ERR_clear_error();
    if (!ok) {
        return make_error(Exit::config,
                          "cannot load the TLS certificate " + o.tls_cert + " or key " + o.tls_key,
                          "check both files (PEM) and their permissions");
    }
    SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return {};
}

Result<int> HttpServer::Impl::open_listener() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string port = std::to_string(o.port);
    auto fail = [&] {
        return make_error(Exit::unavailable,
                          "cannot listen on " + o.host + ":" + port + ": " + std::strerror(errno),
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
    if (listen_fd < 0 || ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0 ||
        ::bind(listen_fd, found->ai_addr, found->ai_addrlen) != 0 ||
        ::listen(listen_fd, 1024) != 0) {
        return fail();
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
    return bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void HttpServer::Impl::size_limits() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    auto room = static_cast<long>(lim.rlim_cur) - 64;
    max_conns = static_cast<int>(std::max(16L, std::min<long>(o.max_connections, room)));
}

void HttpServer::Impl::watch(Conn& c, std::uint32_t events) {
    if (c.events == events) {
        return;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
}

void HttpServer::Impl::close_conn(Conn& c) {
    if (c.ssl != nullptr) {
        SSL_free(c.ssl);
    }
    ::close(c.fd); // also leaves the epoll set
    if (--per_address[c.remote] <= 0) {
        per_address.erase(c.remote);
    }
    conns.erase(c.id); // c is gone after this
}

Conn* HttpServer::Impl::eviction_candidate(const std::string& remote) {
    Conn* best = nullptr;
    for (auto& [id, c] : conns) {
        if (c->phase == Phase::reading && (remote.empty() || c->remote == remote) &&
            (best == nullptr || c->since < best->since)) {
            best = c.get();
        }
    }
    return best;
}

void HttpServer::Impl::accept_all() {
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

bool HttpServer::Impl::make_room(const std::string& remote) {
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

void HttpServer::Impl::reap(std::int64_t now) {
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
            log_now(c->current, refusal(408, "timeout"));
            write_raw(*c, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
            start_draining(*c);
            continue;
        }
        close_conn(*c);
    }
}

bool HttpServer::Impl::busy() const {
    for (const auto& [id, c] : conns) {
        if (c->phase == Phase::processing || c->phase == Phase::writing) {
            return true;
        }
    }
    return false;
}

void HttpServer::Impl::loop() {
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

void HttpServer::on_log_flush(std::function<void()> hook) {
    m_impl->log_flush = std::move(hook);
}

void HttpServer::stop() {
    m_impl->stopping = true;
    if (m_impl->wake_fd >= 0) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(m_impl->wake_fd, &one, sizeof one);
    }
}

} // namespace twofa
