#pragma once
// HttpServer's insides, shared by server.cpp (sockets, accepting, the loop, deadlines) and
// connection.cpp (reading, framing, answering one connection). Not a public header.
#include <twofa/http_server.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace twofa {
namespace http_detail {

// Milliseconds of the monotonic clock.
std::int64_t now_ms();
// The reason phrase of a status ("Request Timeout").
const char* reason(int status);
// A reply the server sends itself: {"error":"<reason>"}.
OutgoingReply refusal(int status, const char* outcome);

constexpr std::uint64_t k_listen_tag = 0;
constexpr std::uint64_t k_wake_tag = 1;

// draining: after refusing a request early, the rest of what the client sends is read and
// dropped for a moment, so closing does not reset the connection before it reads the reply.
enum class Phase { reading, processing, writing, draining };

struct Conn {
    std::uint64_t id = 0;
    int fd = -1;
    SSL* ssl = nullptr;
    bool handshaken = false;
    std::string remote;
    Phase phase = Phase::reading;
    std::string in;
    std::string out;
    std::size_t out_off = 0;
    bool got_bytes = false; // of the request being read
    bool head_done = false;
    std::size_t body_len = 0;
    IncomingRequest req;     // being read
    IncomingRequest current; // method, path and remote of the request being answered, for the log
    bool close_after = false;
    bool linger = false; // drain before closing
    int served = 0;
    std::int64_t since = 0;    // when this connection started waiting for its current request
    std::int64_t deadline = 0; // reading or writing must finish by then
    std::uint32_t events = 0;
};

} // namespace http_detail

struct HttpServer::Impl {
    HttpServerOptions o;
    HttpHandler handler;
    HttpLog log;
    std::function<void()> log_flush;
    SSL_CTX* tls = nullptr;
    int listen_fd = -1;
    int ep = -1;
    int wake_fd = -1;
    int max_conns = 0;
    std::atomic<bool> stopping{false};
    std::uint64_t next_id = 2;
    std::unordered_map<std::uint64_t, std::unique_ptr<http_detail::Conn>> conns;
    std::unordered_map<std::string, int> per_address;
    std::mutex ready_mutex;
    std::vector<std::pair<std::uint64_t, OutgoingReply>> ready;

    Impl(HttpServerOptions opt, HttpHandler h, HttpLog l)
        : o(std::move(opt)), handler(std::move(h)), log(std::move(l)) {}

    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // --- server.cpp: the listening socket, the loop, connections in all
    // Loads the certificate and key when TLS is configured (Exit::usage / Exit::config).
    Status load_tls();
    // Binds and listens without SO_REUSEPORT; the bound port (Exit::unavailable).
    Result<int> open_listener();
    // Room for the connection cap under the file limit (raised to its hard maximum).
    void size_limits();
    // Sets what epoll reports for the connection.
    void watch(http_detail::Conn& c, std::uint32_t events);
    // Closes and forgets the connection (c is gone afterwards).
    void close_conn(http_detail::Conn& c);
    // The oldest connection still waiting for (part of) a request, among those of `remote`
    // (or all when empty): a slow or idle client gives way to a new one.
    http_detail::Conn* eviction_candidate(const std::string& remote);
    // Accepts every pending connection, making room under the caps.
    void accept_all();
    // Frees a place for a new connection from `remote` by evicting the slowest reader when a
    // cap is reached; false when every place is busy with a request in progress.
    bool make_room(const std::string& remote);
    // Closes connections past their deadline (408 when part of a request had come).
    void reap(std::int64_t now);
    // True while some request is being answered.
    bool busy() const;
    // Serves until stop(), then drains the replies in flight.
    void loop();

    // --- connection.cpp: one connection
    // Reads what is available; false when the connection was closed.
    bool read_available(http_detail::Conn& c);
    // Adds what was read to the connection's input (a request's first bytes start its clock).
    void append_read(http_detail::Conn& c, const char* data, std::size_t n);
    // Answers a malformed or oversized request itself and closes after the reply.
    void refuse(http_detail::Conn& c, int status, const char* outcome);
    // Checks the head's framing; 0, or the status to refuse it with.
    int frame(http_detail::Conn& c);
    // Parses what has been read; hands a complete request to the handler.
    void process(http_detail::Conn& c);
    // Best effort, for interim and last-gasp replies: whatever the socket takes now.
    void write_raw(http_detail::Conn& c, std::string_view data);
    // The responder's half: queues a reply for the loop (any thread) and wakes it.
    void post(std::uint64_t id, OutgoingReply r);
    // The loop's half: sends the queued replies to connections still open.
    void deliver_ready();
    // Logs one reply and has the log written out (before the reply is sent).
    void log_now(const IncomingRequest& req, const OutgoingReply& reply);
    // Logs the reply (the log flushed) and starts writing it.
    void respond(http_detail::Conn& c, const OutgoingReply& reply);
    // Starts writing a reply already logged.
    void send_reply(http_detail::Conn& c, const OutgoingReply& reply);
    // Writes what the socket takes; then closes, drains or waits for the next request.
    void flush(http_detail::Conn& c);
    // The reply is out and the connection ends: half-close, then drain until the client
    // closes or 2 s pass (reap closes it).
    void start_draining(http_detail::Conn& c);
    // epoll said the connection is ready: handshake, read or write as its phase needs.
    void on_event(http_detail::Conn& c);
};

} // namespace twofa
