#pragma once
// twofa-sandbox: an offline Authy and Twilio Verify v2 look-alike for demos, CI and tests
// (loopback only).
#include <twofa/result.hpp>

#include <memory>
#include <string>

namespace twofa {

struct SandboxOptions {
    std::string host = "127.0.0.1";
    int port = 8089;                // 0: any free port
    std::string api_key;            // Authy's X-Authy-API-Key (empty: the Authy API refuses all)
    std::string auth_token;         // Verify's HTTP Basic password (empty: /v2/ refuses all)
    std::string callback_url;       // where answered Authy pushes are reported
    bool callback_get = false;      // by GET with the parameters in the query (Authy's option)
    std::string verify_webhook_url; // where answered Verify challenges are reported
    std::string state_file;         // empty: in memory only
    double approve_after = 1.0;
    int latency_ms = 0; // added to every API request, to imitate a distant provider
};

class Sandbox {
  public:
    explicit Sandbox(SandboxOptions options);
    ~Sandbox();
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    // Loads the state file and binds the port; returns the bound port.
    // Exit::usage for a non-loopback host, Exit::unavailable when the port is taken.
    Result<int> bind();
    // Serves until stop(); returns false if the server failed.
    bool run();
    // Thread-safe and signal-handler-free: wakes run() and any request held by a fault.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace twofa
