#pragma once
// The HTTP transport behind the providers' clients. libcurl lives in
// lib/src/http/curl_transport.cpp (and its URL parser, curl_url, in lib/src/util/util.cpp).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace twofa {

struct HttpRequest {
    std::string method; // "GET" or "POST"
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct HttpResponse {
    long status = 0; // 0: no HTTP answer (see error)
    std::string body;
    std::string retry_after; // the Retry-After header, if any
    std::string error;       // transport failure, when status is 0
    bool maybe_sent = false; // with status 0: the request may have reached the server
    bool timed_out = false;
};

class HttpTransport {
  public:
    virtual ~HttpTransport() = default;
    // Sends one request; never throws. Transport failures come back with status 0.
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

struct TransportOptions {
    long connect_timeout_ms = 5000;
    long total_timeout_ms = 10000;
};

struct RetryPolicy {
    int max_attempts = 3;
    std::chrono::milliseconds base_delay{200}; // doubled after each attempt
    std::chrono::seconds max_retry_after{5};   // a longer Retry-After fails at once
};

using Sleeper = std::function<void(std::chrono::milliseconds)>;

// Sleeps for real.
Sleeper real_sleeper();

// Sends with retries where they are safe: a request that never left (connection refused),
// 429 with a short Retry-After, and - for idempotent requests - 5xx and timeouts. The last
// answer.
HttpResponse send_with_retries(HttpTransport& transport, const HttpRequest& request,
                               bool idempotent, const RetryPolicy& policy, const Sleeper& sleep);

// A libcurl transport: TLS verification on, no redirects, http/https only. One per thread.
std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options);

} // namespace twofa
