// The callback listener. cpp-httplib is used here and in the sandbox only.
#include <twofa/authy_signature.hpp>
#include <twofa/listener.hpp>
#include <twofa/time_text.hpp>
#include <twofa/validate.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace twofa {

using nlohmann::json;

namespace {

// What the handler decided, for the request log (set on the worker thread that serves it).
thread_local std::string t_outcome;
thread_local std::string t_detail;

double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string log_time() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::string frac = std::to_string(ms % 1000);
    return utc_text(ms / 1000, "%Y-%m-%dT%H:%M:%S") + "." + std::string(3 - frac.size(), '0') +
           frac + "Z";
}

void reply(httplib::Response& res, int status, const std::string& outcome,
           const std::string& body) {
    t_outcome = outcome;
    res.status = status;
    res.set_content(body, "application/json");
}

} // namespace

Result<std::string> callback_path(const std::string& url) {
    const std::string example = "e.g. https://login.example.com/authy/callback";
    auto scheme_end = url.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
        return make_error(Exit::usage, "public URL '" + strip_control(url) + "' is not http(s)",
                          example);
    }
    if (url.find_first_of("?#") != std::string::npos) {
        return make_error(Exit::usage, "the public URL must not have a query or fragment",
                          "Authy signs the URL without parameters");
    }
    auto path_start = url.find('/', scheme_end + 3);
    if (path_start == std::string::npos || path_start == scheme_end + 3) {
        return make_error(Exit::usage, "public URL '" + strip_control(url) + "' has no path",
                          example);
    }
    return url.substr(path_start);
}

struct Listener::Impl {
    ListenerOptions options;
    CallbackApplier apply;
    LogSink log;
    std::string path;
    std::unique_ptr<httplib::Server> server;

    // The single writer: callbacks waiting to be committed, in groups.
    struct Job {
        authy::Callback callback;
        std::promise<Result<CallbackOutcome>> done;
    };
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job*> queue;
    bool stopping = false;
    std::thread writer;

    Impl(ListenerOptions o, CallbackApplier a, LogSink l)
        : options(std::move(o)), apply(std::move(a)), log(std::move(l)) {}

    void writer_loop() {
        std::unique_lock lock(mutex);
        while (true) {
            wake.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty()) {
                return; // stopping, and nothing left
            }
            std::vector<Job*> batch(queue.begin(), queue.end());
            queue.clear();
            lock.unlock();
            std::vector<authy::Callback> callbacks;
            callbacks.reserve(batch.size());
            for (Job* j : batch) {
                callbacks.push_back(j->callback);
            }
            auto outcomes = apply(callbacks);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (outcomes.ok()) {
                    batch[i]->done.set_value((*outcomes)[i]);
                } else {
                    batch[i]->done.set_value(outcomes.error());
                }
            }
            lock.lock();
        }
    }

    Result<CallbackOutcome> commit(const authy::Callback& cb) {
        Job job{cb, {}};
        auto done = job.done.get_future();
        {
            std::lock_guard lock(mutex);
            queue.push_back(&job);
        }
        wake.notify_one();
        return done.get();
    }

    // The signature check, before any field of the request is looked at: the canonical
    // parameters when it passes (also what the callback is decoded from, so a JSON body is
    // parsed once), nullopt after answering 401.
    std::optional<std::string> verified(const httplib::Request& req, httplib::Response& res) {
        std::string signature = req.get_header_value("X-Authy-Signature");
        std::string nonce = req.get_header_value("X-Authy-Signature-Nonce");
        if (signature.empty() || nonce.empty()) {
            reply(res, 401, "missing-signature", R"({"error":"missing signature"})");
            return std::nullopt;
        }
        char* end = nullptr;
        double when = std::strtod(nonce.c_str(), &end);
        if (end == nonce.c_str() || *end != '\0' || !std::isfinite(when) ||
            std::fabs(when - unix_seconds()) > options.nonce_window) {
            reply(res, 401, "stale-nonce", R"({"error":"stale or malformed nonce"})");
            return std::nullopt;
        }
        auto canonical = req.method == "POST" ? authy::canonical_json_params(req.body)
                                              : Result<std::string>(authy::canonical_flat_params(
                                                    {req.params.begin(), req.params.end()}));
        if (!canonical.ok() ||
            !authy::signatures_equal(authy::sign_callback(options.api_key, nonce, req.method,
                                                          options.public_url, *canonical),
                                     signature)) {
            reply(res, 401, "bad-signature", R"({"error":"invalid signature"})");
            return std::nullopt;
        }
        return *canonical;
    }

    void callback(const httplib::Request& req, httplib::Response& res) {
        t_outcome.clear();
        t_detail.clear();
        auto canonical = verified(req, res);
        if (!canonical) {
            return;
        }
        auto cb = authy::decode_callback_params(authy::parse_query(*canonical));
        if (!cb.ok()) {
            t_detail = cb.error().message;
            reply(res, 400, "malformed", R"({"error":"not an approval request callback"})");
            return;
        }
        t_detail = cb->status + " uuid=" + cb->uuid + " authy_id=" + std::to_string(cb->authy_id);
        auto outcome = commit(*cb);
        if (!outcome.ok()) {
            t_detail += " " + outcome.error().message;
            reply(res, 503, "store-error", R"({"error":"try again"})");
            res.set_header("Retry-After", "1");
            return;
        }
        reply(res, 200, to_string(*outcome), R"({"ok":true})");
    }

    void write_log(const httplib::Request& req, const httplib::Response& res) {
        if (!log) {
            return;
        }
        std::string outcome = t_outcome;
        if (outcome.empty()) {
            outcome = res.status == 413 ? "too-large" : res.status == 404 ? "not-found" : "";
        }
        json line = {{"time", log_time()}, {"remote", req.remote_addr}, {"method", req.method},
                     {"path", req.path},   {"status", res.status},      {"outcome", outcome}};
        if (!t_detail.empty()) {
            line["detail"] = t_detail;
        }
        log(line.dump(-1, ' ', false, json::error_handler_t::replace));
        t_outcome.clear();
        t_detail.clear();
    }

    void routes() {
        auto handler = [this](const httplib::Request& q, httplib::Response& r) { callback(q, r); };
        server->Post(path, handler);
        server->Get(path, handler);
        auto not_allowed = [](const httplib::Request&, httplib::Response& r) {
            r.set_header("Allow", "GET, POST");
            reply(r, 405, "method-not-allowed", R"({"error":"use GET or POST"})");
        };
        server->Put(path, not_allowed);
        server->Delete(path, not_allowed);
        server->Patch(path, not_allowed);
        server->Options(path, not_allowed);
        server->Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
            reply(r, 200, "health", R"({"status":"ok"})");
        });
        server->set_error_handler([](const httplib::Request&, httplib::Response& r) {
            if (r.body.empty()) {
                r.set_content(json{{"error", "HTTP " + std::to_string(r.status)}}.dump(),
                              "application/json");
            }
        });
        server->set_logger(
            [this](const httplib::Request& q, const httplib::Response& r) { write_log(q, r); });
    }
};

Listener::Listener(ListenerOptions options, CallbackApplier apply, LogSink log)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(apply), std::move(log))) {}

Listener::~Listener() {
    stop();
}

Result<int> Listener::bind() {
    auto& o = m_impl->options;
    auto path = callback_path(o.public_url.empty() ? "http://x/authy/callback" : o.public_url);
    if (!path.ok()) {
        return path.error();
    }
    m_impl->path = *path;
    if (o.tls_cert.empty() != o.tls_key.empty()) {
        return make_error(Exit::usage, "TLS needs both a certificate and a key",
                          "pass --tls-cert and --tls-key together");
    }
    if (o.tls_cert.empty()) {
        m_impl->server = std::make_unique<httplib::Server>();
    } else {
        auto tls = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
        if (!tls->is_valid()) {
            return make_error(Exit::config,
                              "cannot load the TLS certificate " + o.tls_cert + " or key " +
                                  o.tls_key,
                              "check both files (PEM) and their permissions");
        }
        m_impl->server = std::move(tls);
    }
    auto& server = *m_impl->server;
    m_impl->routes();
    int workers = o.workers;
    server.new_task_queue = [workers] {
        return new httplib::ThreadPool(static_cast<std::size_t>(workers));
    };
    server.set_tcp_nodelay(true);
    server.set_read_timeout(o.io_timeout);
    server.set_write_timeout(o.io_timeout);
    server.set_keep_alive_timeout(o.io_timeout);
    server.set_keep_alive_max_count(100);
    server.set_payload_max_length(o.max_body);
    int port = o.port == 0 ? server.bind_to_any_port(o.host) : o.port;
    if (o.port != 0 && !server.bind_to_port(o.host, o.port)) {
        port = -1;
    }
    if (port <= 0) {
        return make_error(Exit::unavailable,
                          "cannot listen on " + o.host + ":" + std::to_string(o.port),
                          "is the port in use? choose another with --listen");
    }
    if (o.public_url.empty()) {
        std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
        o.public_url = (o.tls_cert.empty() ? "http://" : "https://") + host + ":" +
                       std::to_string(port) + m_impl->path;
    }
    return port;
}

const std::string& Listener::public_url() const {
    return m_impl->options.public_url;
}

bool Listener::run() {
    m_impl->writer = std::thread([this] { m_impl->writer_loop(); });
    bool ok = m_impl->server->listen_after_bind();
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->wake.notify_all();
    m_impl->writer.join();
    return ok;
}

void Listener::stop() {
    if (m_impl->server) {
        m_impl->server->stop();
    }
}

} // namespace twofa
