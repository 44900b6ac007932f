// The callback listener: the routing of each request and the batching writer, on HttpServer.
#include <twofa/batch_writer.hpp>
#include <twofa/listener.hpp>
#include <twofa/time_text.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <nlohmann/json.hpp>

#include <chrono>

namespace twofa {

using nlohmann::json;

namespace {

// "2026-11-27T00:00:00.123Z"; the seconds' text is made once per second (one line per request).
std::string log_time() {
    thread_local std::int64_t cached_second = -1;
    thread_local std::string cached_text;
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    if (ms / 1000 != cached_second) {
        cached_second = ms / 1000;
        cached_text = utc_text(cached_second, "%Y-%m-%dT%H:%M:%S");
    }
    std::string frac = std::to_string(1000 + ms % 1000);
    return cached_text + "." + frac.substr(1) + "Z";
}

// Lines are buffered and handed to the sink together before the replies of a batch go out
// (or sooner when this much is waiting): one write for many requests.
constexpr std::size_t k_log_flush_bytes = 32768;

OutgoingReply reply(int status, const char* outcome, const char* body) {
    OutgoingReply r;
    r.status = status;
    r.outcome = outcome;
    r.body = body;
    return r;
}

} // namespace

Result<std::string> callback_path(const std::string& url) {
    const std::string example = "e.g. https://login.example.com/twofa/callback";
    auto parsed = parse_url(url);
    if (!parsed.ok()) {
        return make_error(Exit::usage, "public URL '" + strip_control(url) + "' is not http(s)",
                          example);
    }
    if (parsed->has_query_or_fragment) {
        return make_error(Exit::usage, "the public URL must not have a query or fragment",
                          "the provider signs the URL without parameters");
    }
    // The path exactly as written (the provider signs the URL as configured, unnormalised).
    auto authority = url.find("://") + 3;
    auto path_start = url.find('/', authority);
    if (path_start == std::string::npos || path_start == authority) {
        return make_error(Exit::usage, "public URL '" + strip_control(url) + "' has no path",
                          example);
    }
    return url.substr(path_start);
}

struct Listener::Impl {
    ListenerOptions options;
    const CallbackVerifier& verifier;
    CallbackApplier apply;
    LogSink log;
    std::string path;
    std::unique_ptr<HttpServer> server;

    std::unique_ptr<BatchWriter> writer; // from run() to its end

    Impl(ListenerOptions o, const CallbackVerifier& v, CallbackApplier a, LogSink l)
        : options(std::move(o)), verifier(v), apply(std::move(a)), log(std::move(l)),
          path(options.default_path) {
        if (auto p = callback_path(options.public_url); p.ok()) {
            path = *p; // an empty or bad URL keeps the default; bind() reports a bad one
        }
    }

    void handle(IncomingRequest&& req, HttpResponder respond) {
        Screened s = screen(req);
        if (!s.callback) {
            respond(std::move(s.reply));
            return;
        }
        writer->submit(std::move(*s.callback), std::move(respond));
    }

    Screened screen(const IncomingRequest& req) const {
        if (req.path == "/healthz") {
            return {req.method == "GET"
                        ? reply(200, "health", R"({"status":"ok"})")
                        : reply(405, "method-not-allowed", R"({"error":"use GET"})"),
                    {}};
        }
        if (req.path != path) { // literal: the public URL's path is not a pattern
            return {reply(404, "not-found", R"({"error":"not found"})"), {}};
        }
        if (req.method != "GET" && req.method != "POST") {
            Screened s{reply(405, "method-not-allowed", R"({"error":"use GET or POST"})"), {}};
            s.reply.headers.emplace_back("Allow", "GET, POST");
            return s;
        }
        CallbackVerdict v = verifier.verify(req, options.public_url);
        if (!v.result) {
            Screened s{reply(v.refusal.status, v.refusal.outcome, v.refusal.body), {}};
            s.reply.detail = std::move(v.refusal.detail);
            return s;
        }
        return {OutgoingReply{}, std::move(v.result)};
    }

    std::string log_buffer; // complete lines not yet handed to the sink (loop thread)

    // One JSON line, written directly (this runs for every request).
    void write_log(const IncomingRequest& req, const OutgoingReply& r) {
        if (!log) {
            return;
        }
        // info: answered as asked; warning: refused (a client's fault, maybe an attack);
        // error: the listener could not do its job (the store failed).
        const char* level = r.status < 400 ? "info" : r.status < 500 ? "warning" : "error";
        JsonObjectWriter line(log_buffer);
        line.text("time", log_time())
            .text("level", level)
            .text("remote", req.remote)
            .text("method", req.method)
            .text("path", strip_control(req.path))
            .number("status", r.status)
            .text("outcome", r.outcome);
        if (!r.detail.empty()) {
            line.text("detail", r.detail);
        }
        line.close();
        log_buffer += '\n';
        if (log_buffer.size() >= k_log_flush_bytes) {
            flush_log();
        }
    }

    void flush_log() {
        if (!log_buffer.empty()) {
            log(log_buffer);
            log_buffer.clear();
        }
    }
};

Listener::Listener(ListenerOptions options, const CallbackVerifier& verifier, CallbackApplier apply,
                   LogSink log)
    : m_impl(
          std::make_unique<Impl>(std::move(options), verifier, std::move(apply), std::move(log))) {}

Listener::~Listener() {
    stop();
}

Listener::Screened Listener::screen(const IncomingRequest& request) const {
    return m_impl->screen(request);
}

Result<int> Listener::bind() {
    auto& o = m_impl->options;
    auto path = callback_path(o.public_url.empty() ? "http://x" + o.default_path : o.public_url);
    if (!path.ok()) {
        return path.error();
    }
    m_impl->path = *path;
    Impl* impl = m_impl.get();
    m_impl->server = std::make_unique<HttpServer>(
        o.http,
        [impl](IncomingRequest&& q, HttpResponder r) { impl->handle(std::move(q), std::move(r)); },
        [impl](const IncomingRequest& q, const OutgoingReply& r) { impl->write_log(q, r); });
    m_impl->server->on_log_flush([impl] { impl->flush_log(); });
    auto port = m_impl->server->bind();
    if (!port.ok()) {
        return port.error();
    }
    if (o.public_url.empty()) {
        const std::string& h = o.http.host;
        o.public_url = (o.http.tls_cert.empty() ? "http://" : "https://") +
                       host_port_text(h, *port) + m_impl->path;
    }
    return port;
}

const std::string& Listener::public_url() const {
    return m_impl->options.public_url;
}

void Listener::run() {
    m_impl->writer = std::make_unique<BatchWriter>(m_impl->apply);
    m_impl->server->run();
    m_impl->writer->stop(); // the queued results are committed and answered first
    if (m_impl->log) {
        auto t = m_impl->writer->totals();
        m_impl->log_buffer += json{{"time", log_time()},
                                   {"level", "info"},
                                   {"outcome", "stopped"},
                                   {"callbacks", t.callbacks},
                                   {"commits", t.commits}}
                                  .dump() +
                              "\n";
        m_impl->flush_log();
    }
}

void Listener::stop() {
    if (m_impl->server) {
        m_impl->server->stop();
    }
}

} // namespace twofa
