#pragma once
// The push-callback listener behind `twofa serve-callback` (on HttpServer). Routing and the
// server's cheap checks (method, path, size) come first, then the provider's CallbackVerifier
// (its headers, freshness, shape, then the signature, then the decoding); verified results go
// to a single writer that groups concurrent ones into one commit, and each is answered only
// after its commit.
#include <twofa/batch_writer.hpp>
#include <twofa/http_server.hpp>
#include <twofa/login.hpp>
#include <twofa/provider.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twofa {

struct ListenerOptions {
    HttpServerOptions http; // address, TLS, size limits, deadlines, connection caps
    std::string public_url; // the URL the provider signs; its path is served. Empty: made from
                            // the bound address, http(s)://HOST:PORT + default_path
    std::string default_path = "/callback";
};

// Receives the log: one JSON line per request (never a signature, key or code), and one
// "stopped" line with the callbacks and commits counted. Lines come in batches (each call one
// or more complete lines, each ending in '\n'), from the loop thread.
using LogSink = std::function<void(const std::string& lines)>;

class Listener {
  public:
    // verifier must outlive the listener.
    Listener(ListenerOptions options, const CallbackVerifier& verifier, CallbackApplier apply,
             LogSink log);
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

    // Everything a request goes through before the writer: routing, then the verifier.
    // Either the reply to send now, or the verified result to commit (reply untouched). Pure:
    // for unit tests and the fuzzer.
    struct Screened {
        OutgoingReply reply;
        std::optional<PushResult> callback;
    };
    Screened screen(const IncomingRequest& request) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The path part of a URL ("/callback"); Exit::usage unless it is http(s)://host/path.
Result<std::string> callback_path(const std::string& public_url);

} // namespace twofa
