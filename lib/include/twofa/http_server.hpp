#pragma once
// A small event-driven HTTP/1.1 server (epoll, one thread) for the callback listener. It reads
// each request whole before any handler sees it, under a deadline for the whole request (not
// per read), with bounded headers and body, a cap on connections per client address and in
// all, and strict framing (one Content-Length, no Transfer-Encoding). Handlers answer through
// a responder that may be called later from another thread, so a slow commit never holds the
// loop. TLS (OpenSSL) when a certificate and key are given.
#include <twofa/result.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twofa {

struct IncomingRequest {
    std::string method;
    std::string path;                                         // the request target before '?'
    std::string query;                                        // after '?', raw
    std::vector<std::pair<std::string, std::string>> headers; // names lower-case
    std::string body;
    std::string remote;  // client address
    bool http10 = false; // HTTP/1.0: the connection closes after the reply

    // The value of a header (name in lower case), "" when absent. Inline: the providers'
    // callback verifiers (in twofa_core) read headers, and must not need the listener's library.
    std::string_view header(std::string_view lower_name) const {
        for (const auto& [k, v] : headers) {
            if (k == lower_name) {
                return v;
            }
        }
        return {};
    }
};

struct OutgoingReply {
    int status = 200;
    std::string body; // JSON
    std::vector<std::pair<std::string, std::string>> headers;
    std::string outcome; // for the request log
    std::string detail;  // for the request log
};

// Sends the reply for one request; callable once, from any thread.
using HttpResponder = std::function<void(OutgoingReply)>;
// Called on the loop thread with each complete request.
using HttpHandler = std::function<void(IncomingRequest&&, HttpResponder)>;
// Called for every reply sent, including the server's own (400, 408, 413, ...). The request
// may be partial (method and path empty) when the server refused it early.
using HttpLog = std::function<void(const IncomingRequest&, const OutgoingReply&)>;

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080; // 0: any free port
    std::string tls_cert;
    std::string tls_key;
    std::size_t max_header_bytes = 16384; // request line and headers: 431 beyond
    std::size_t max_body = 65536;         // 413 beyond
    int request_timeout_ms = 10000;       // from a request's first byte to its last (408)
    int idle_timeout_ms = 5000;           // keep-alive: waiting for the next request
    int max_connections = 1024;           // in all (also kept under the file limit)
    int max_per_address = 256;            // from one client address
    int keep_alive_max = 100;             // requests per connection
};

class HttpServer {
  public:
    HttpServer(HttpServerOptions options, HttpHandler handler, HttpLog log);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Loads TLS material and binds (no SO_REUSEPORT: a port in use is an error). The bound
    // port; Exit::config for unusable TLS files, Exit::unavailable when the port is taken.
    Result<int> bind();
    // Serves until stop(); then stops accepting, finishes the replies in flight and returns.
    void run();
    // Safe from any thread and from a signal-waiting thread.
    void stop();
    // Called on the loop thread once the log has been told of replies about to be sent (once
    // per batch of replies, before they are written): a log that buffers its lines writes them
    // out then, so a line is out before its reply. Set before run().
    void on_log_flush(std::function<void()> hook);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Splits an HTTP request head (request line and headers, without the final empty line) into
// req; the status to answer (400, 431, 501, 505) when it is malformed, 0 when it is fine.
// Exposed for unit tests and the fuzzer.
int parse_request_head(std::string_view head, IncomingRequest& req);

} // namespace twofa
