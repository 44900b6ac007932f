#pragma once
// The OneTouch callback listener behind `twofa serve-callback` (on HttpServer). The cheap
// checks come first (method, path, size, content type, signature headers, nonce window,
// nesting depth), then the signature, and only then is the body decoded; verified callbacks
// go to a single writer that groups concurrent ones into one commit, and each is answered
// only after its commit.
#include <twofa/authy/wire.hpp>
#include <twofa/http_server.hpp>
#include <twofa/login.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twofa {

struct ListenerOptions {
    HttpServerOptions http; // address, TLS, size limits, deadlines, connection caps
    std::string public_url; // the URL Authy signs; its path is served. Empty: made from the
                            // bound address, http(s)://HOST:PORT/authy/callback
    std::string api_key;
    int nonce_window = 300;        // seconds a nonce may differ from now
    std::function<double()> clock; // unix seconds, for the nonce window; default: the system
};

// Applies a batch of verified callbacks in one transaction (Logins::apply_callbacks).
using CallbackApplier =
    std::function<Result<std::vector<CallbackOutcome>>(const std::vector<authy::Callback>&)>;
// Receives one JSON log line per request (never a signature, key or code).
using LogSink = std::function<void(const std::string& line)>;

class Listener {
  public:
    Listener(ListenerOptions options, CallbackApplier apply, LogSink log);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Checks the options, loads TLS material and binds; the bound port. Exit::usage for a bad
    // public URL, Exit::config for unusable TLS files, Exit::unavailable when the port is taken.
    Result<int> bind();
    // Serves until stop(), then finishes the requests in flight.
    void run();
    // Stops accepting; safe from any thread.
    void stop();
    // The URL signatures are checked against (known after bind).
    const std::string& public_url() const;

    // Everything a request goes through before the writer: routing, the cheap checks, the
    // signature and the decoding. Either the reply to send now, or the verified callback to
    // commit (reply untouched). Pure: for unit tests and the fuzzer.
    struct Screened {
        OutgoingReply reply;
        std::optional<authy::Callback> callback;
    };
    Screened screen(const IncomingRequest& request) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The path part of a URL ("/authy/callback"); Exit::usage unless it is http(s)://host/path.
Result<std::string> callback_path(const std::string& public_url);

} // namespace twofa
