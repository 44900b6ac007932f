// twofa-sandbox: routing, bind, run and stop.
#include "sandbox/sandbox_impl.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/wire.hpp>

namespace twofa {

namespace {

// Debian builds cpp-httplib as a shared library listening with a backlog of 5, so a burst of
// new connections (an import's jobs, a benchmark's clients) had SYNs dropped and retried a
// second later. listen(2) again on the bound socket raises it; the library keeps no way to
// reach the socket, so it is found by its port.
void widen_backlog(int port) {
    DIR* fds = ::opendir("/proc/self/fd");
    if (fds == nullptr) {
        return;
    }
    while (const dirent* e = ::readdir(fds)) {
        const int fd = std::atoi(e->d_name);
        int listening = 0;
        socklen_t len = sizeof listening;
        sockaddr_storage addr{};
        socklen_t alen = sizeof addr;
        if (fd <= 2 || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
            listening == 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
            continue;
        }
        const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
        if ((addr.ss_family == AF_INET || addr.ss_family == AF_INET6) &&
            ntohs(in->sin_port) == port) {
            ::listen(fd, 1024);
        }
    }
    ::closedir(fds);
}

} // namespace

using namespace sandbox;
using nlohmann::json;

void Sandbox::Impl::routes() {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        return pre_route(req, res);
    });
    // Every Verify change is saved once its handler is done (the handlers hold the lock).
    server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
        if (req.method != "GET" &&
            (is_verify_path(req.path) || req.path.rfind("/sandbox/entities/", 0) == 0)) {
            std::lock_guard lock(mutex);
            save_locked();
        }
    });
    api_routes();
    phone_routes();
    extra_routes();
    verify_routes();
    control_routes();
    phone_page_routes();
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
        send_json(r, 200, R"({"status":"ok"})");
    });
    server.set_error_handler([this](const httplib::Request& req, httplib::Response& r) {
        if (r.status == 404 && r.body.empty() && is_verify_path(req.path)) {
            v_not_found(req, r);
        } else if (r.status == 404 && r.body.empty() && is_api_path(req.path)) {
            send_json(r, 404, authy::error_body("Not found", "60000"));
        } else if (r.status >= 400 && r.body.empty() && is_api_path(req.path)) {
            // httplib's own refusals (a POST without Content-Length is 400): Authy's body.
            send_json(r, r.status, authy::error_body("Invalid request", "60000"));
        }
    });
}

void Sandbox::Impl::route_get(const std::string& pattern, const httplib::Server::Handler& handler) {
    server.Get(pattern, handler);
    server.Post(pattern, [handler](const httplib::Request& req, httplib::Response& res) {
        if (!req.has_header(k_get_with_body)) {
            res.status = 405; // a real POST to a GET-only path
            return;
        }
        handler(req, res);
    });
}

Sandbox::Sandbox(SandboxOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
Sandbox::~Sandbox() = default;

Result<int> Sandbox::bind() {
    auto& o = m_impl->options;
    if (!is_loopback_host(o.host)) {
        return make_error(Exit::usage, "twofa-sandbox listens on loopback only, not " + o.host,
                          "use --listen 127.0.0.1:PORT");
    }
    if (o.api_key.empty() && o.auth_token.empty()) {
        return make_error(Exit::config, "no credentials for the sandbox",
                          "pass --api-key (Authy) and/or --auth-token (Verify), or set "
                          "AUTHY_API_KEY / TWILIO_AUTH_TOKEN");
    }
    for (const std::string* url : {&o.callback_url, &o.verify_webhook_url}) {
        auto parsed = parse_url(*url);
        if (!url->empty() && (!parsed.ok() || !is_loopback_host(parsed->host))) {
            return make_error(Exit::usage,
                              "twofa-sandbox calls back loopback URLs only, not " +
                                  strip_control(*url),
                              "use http://127.0.0.1:PORT/...");
        }
    }
    if (auto r = m_impl->load(); !r.ok()) {
        return r.error();
    }
    m_impl->routes();
    m_impl->server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    m_impl->server.set_tcp_nodelay(true);
    m_impl->server.set_keep_alive_timeout(5);
    m_impl->server.set_keep_alive_max_count(
        1000); // like a real API front: no reconnect every 5 calls
    m_impl->server.set_read_timeout(5);
    m_impl->server.set_payload_max_length(std::size_t{64} * 1024);
    int port = o.port;
    if (port == 0) {
        port = m_impl->server.bind_to_any_port(o.host);
        if (port < 0) {
            port = 0;
        }
    } else if (!m_impl->server.bind_to_port(o.host, port)) {
        port = 0;
    }
    if (port == 0) {
        return make_error(Exit::unavailable,
                          "cannot listen on " + o.host + ":" + std::to_string(o.port),
                          "is the port in use? try --listen 127.0.0.1:0");
    }
    widen_backlog(port);
    m_impl->base_url = "http://" + host_port_text(o.host, port);
    m_impl->verify_state.services[k_default_service] =
        VService{k_default_service, "twofa sandbox", 6, "", unix_now()};
    return port;
}

bool Sandbox::run() {
    {
        std::lock_guard lock(m_impl->mutex);
        if (m_impl->stopping) {
            return true;
        }
        m_impl->run_started = true;
    }
    m_impl->desk.start();
    bool ok = m_impl->server.listen_after_bind();
    m_impl->desk.stop();
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->run_done = true;
    }
    m_impl->wake.notify_all();
    return ok;
}

// cpp-httplib's stop() does nothing until listen_after_bind() has marked the server running,
// and listen_after_bind() marks it running even after a stop(): a stop that lands in between
// (a SIGTERM just after start-up) would be lost. So stop until run() has returned.
void Sandbox::stop() {
    std::unique_lock lock(m_impl->mutex);
    m_impl->stopping = true;
    m_impl->wake.notify_all();
    while (m_impl->run_started && !m_impl->run_done) {
        lock.unlock();
        m_impl->server.stop();
        lock.lock();
        m_impl->wake.wait_for(lock, std::chrono::milliseconds(20),
                              [&] { return m_impl->run_done; });
    }
}

} // namespace twofa
