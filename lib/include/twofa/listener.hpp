#pragma once
// The OneTouch callback listener behind `twofa serve-callback` (cpp-httplib). It checks each
// callback's signature before anything else, applies verified ones through a single writer
// that groups concurrent callbacks into one commit, and answers only after the commit.
#include <twofa/authy_wire.hpp>
#include <twofa/login.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace twofa {

struct ListenerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;        // 0: any free port
    std::string public_url; // the URL Authy signs; its path is served. Empty: made from the
                            // bound address, http(s)://HOST:PORT/authy/callback
    std::string api_key;
    std::string tls_cert; // both set: HTTPS
    std::string tls_key;
    int workers = 64;             // connections served at once
    std::size_t max_body = 65536; // larger bodies: 413
    int nonce_window = 300;       // seconds a nonce may differ from now
    int io_timeout = 5;           // read / write / keep-alive seconds
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
    // Serves until stop(), then finishes the requests in flight; false if the server failed.
    bool run();
    // Stops accepting; safe from any thread.
    void stop();
    // The URL signatures are checked against (known after bind).
    const std::string& public_url() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The path part of a URL ("/authy/callback"); Exit::usage unless it is http(s)://host/path.
Result<std::string> callback_path(const std::string& public_url);

} // namespace twofa
