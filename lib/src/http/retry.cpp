// Retries of provider calls, shared by the providers' clients.
#include <twofa/http.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

namespace twofa {

Sleeper real_sleeper() {
    return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

namespace {

// Retry-After in whole seconds (the HTTP-date form is treated as "too long").
std::optional<long> retry_after_seconds(const std::string& value) {
    long secs = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() || secs < 0) {
        return std::nullopt;
    }
    return secs;
}

} // namespace

HttpResponse send_with_retries(HttpTransport& transport, const HttpRequest& req, bool idempotent,
                               const RetryPolicy& policy, const Sleeper& sleep) {
    auto delay = policy.base_delay;
    HttpResponse r;
    for (int attempt = 1;; ++attempt) {
        r = transport.send(req);
        bool retry = false;
        auto wait = delay;
        if (r.status == 0) {
            retry = !r.maybe_sent || (idempotent && !r.timed_out);
        } else if (r.status == 429) {
            auto secs = retry_after_seconds(r.retry_after);
            if (secs && std::chrono::seconds(*secs) <= policy.max_retry_after) {
                retry = true;
                wait = std::max(wait, std::chrono::milliseconds(std::chrono::seconds(*secs)));
            }
        } else if (r.status >= 500) {
            retry = idempotent;
        }
        if (!retry || attempt >= policy.max_attempts) {
            return r;
        }
        sleep(wait);
        delay *= 2;
    }
}

} // namespace twofa
