// One connection of the listener's HTTP front: reading a request whole, framing it, handing it
// to the handler, writing the reply, keep-alive and draining.
#include "server_impl.hpp"

#include <openssl/err.h>

#include <cerrno>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace twofa {

using namespace http_detail;

bool HttpServer::Impl::read_available(Conn& c) {
    char buf[16384];
    const std::size_t cap = o.max_header_bytes + o.max_body + sizeof buf;
    while (c.in.size() < cap) {
        long n = 0;
        if (c.ssl != nullptr) {
            int r = SSL_read(c.ssl, buf, sizeof buf);
            if (r <= 0) {
                int e = SSL_get_error(c.ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    return true;
                }
                ERR_clear_error();
                close_conn(c);
                return false;
            }
            n = r;
        } else {
            n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                return true;
            }
            if (n <= 0) {
                close_conn(c);
                return false;
            }
            if (static_cast<std::size_t>(n) < sizeof buf) {
                // The socket had less than a buffer: it is empty now (one recv, not a second
                // that says EAGAIN). epoll is level-triggered: whatever comes later wakes us.
                append_read(c, buf, static_cast<std::size_t>(n));
                return true;
            }
        }
        append_read(c, buf, static_cast<std::size_t>(n));
    }
    return true;
}

void HttpServer::Impl::append_read(Conn& c, const char* data, std::size_t n) {
    if (!c.got_bytes) {
        c.got_bytes = true;
        if (c.served > 0) {
            c.since = now_ms();
            c.deadline = c.since + o.request_timeout_ms;
        }
    }
    c.in.append(data, n);
}

void HttpServer::Impl::refuse(Conn& c, int status, const char* outcome) {
    c.current = c.req;
    c.current.body.clear();
    c.phase = Phase::processing;
    c.close_after = true;
    c.linger = true;
    respond(c, refusal(status, outcome));
}

int HttpServer::Impl::frame(Conn& c) {
    std::size_t lengths = 0;
    std::string_view length;
    for (const auto& [k, v] : c.req.headers) {
        if (k == "content-length") {
            ++lengths;
            length = v;
        } else if (k == "transfer-encoding") {
            return 411;
        }
    }
    if (lengths > 1) {
        return 400;
    }
    if (lengths == 0) {
        return c.req.method == "POST" || c.req.method == "PUT" ? 411 : 0;
    }
    if (length.empty() || length.size() > 18 ||
        length.find_first_not_of("0123456789") != std::string_view::npos) {
        return 400;
    }
    c.body_len = std::stoull(std::string(length));
    return c.body_len > o.max_body ? 413 : 0;
}

void HttpServer::Impl::process(Conn& c) {
    if (!c.head_done) {
        auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos || end > o.max_header_bytes) {
            if (c.in.size() > o.max_header_bytes) {
                refuse(c, 431, "headers-too-large");
            }
            return;
        }
        c.req = IncomingRequest{};
        c.req.remote = c.remote;
        int status = parse_request_head(std::string_view(c.in).substr(0, end), c.req);
        if (status == 0) {
            status = frame(c);
        }
        c.in.erase(0, end + 4);
        if (status != 0) {
            refuse(c, status,
                   status == 413   ? "too-large"
                   : status == 411 ? "length-required"
                   : status == 431 ? "headers-too-large"
                                   : "malformed-request");
            return;
        }
        c.head_done = true;
        if (c.body_len > c.in.size() && c.req.header("expect") == "100-continue") {
            static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
            write_raw(c, k_continue);
        }
    }
    if (c.in.size() < c.body_len) {
        return;
    }
    c.req.body = c.in.substr(0, c.body_len);
    c.in.erase(0, c.body_len);
    c.current.method = c.req.method;
    c.current.path = c.req.path;
    c.current.remote = c.remote;
    c.close_after =
        c.req.header("connection") == "close" || c.req.http10 || c.served + 1 >= o.keep_alive_max;
    c.phase = Phase::processing;
    // Still watched for input: a client that waits for its reply sends nothing meanwhile, and
    // two epoll_ctl calls per request (off, then on again) are saved. If one does send (the next
    // request pipelined, or it hangs up), on_event stops watching until the reply is out.
    std::uint64_t id = c.id;
    handler(std::move(c.req), [this, id](OutgoingReply r) { post(id, std::move(r)); });
}

void HttpServer::Impl::start_draining(Conn& c) {
    // Closing with the client's bytes unread would send a reset that can destroy the reply on
    // its way: end our side, and read what comes for a moment first.
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::draining;
    c.deadline = now_ms() + 2000;
    watch(c, EPOLLIN);
}

void HttpServer::Impl::write_raw(Conn& c, std::string_view data) {
    if (c.ssl != nullptr) {
        SSL_write(c.ssl, data.data(), static_cast<int>(data.size()));
        ERR_clear_error();
    } else {
        [[maybe_unused]] auto n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
    }
}

void HttpServer::Impl::post(std::uint64_t id, OutgoingReply r) {
    bool first = false;
    {
        std::lock_guard lock(ready_mutex);
        first = ready.empty();
        ready.emplace_back(id, std::move(r));
    }
    // One wake-up per batch: deliver_ready reads the eventfd before it takes the queue, so a
    // reply added to a queue already signalled is always taken with it.
    if (first) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }
}

void HttpServer::Impl::deliver_ready() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd, &count, sizeof count);
    std::vector<std::pair<std::uint64_t, OutgoingReply>> batch;
    {
        std::lock_guard lock(ready_mutex);
        batch.swap(ready);
    }
    // Every reply logged first, the log written out once, then the replies sent.
    for (auto& [id, reply] : batch) {
        if (auto it = conns.find(id); it != conns.end() && log) {
            log(it->second->current, reply);
        }
    }
    if (log_flush) {
        log_flush();
    }
    for (auto& [id, reply] : batch) {
        if (auto it = conns.find(id); it != conns.end()) {
            send_reply(*it->second, reply);
        } // else: the client went away
    }
}

void HttpServer::Impl::log_now(const IncomingRequest& req, const OutgoingReply& reply) {
    if (log) {
        log(req, reply);
        if (log_flush) {
            log_flush();
        }
    }
}

void HttpServer::Impl::respond(Conn& c, const OutgoingReply& reply) {
    log_now(c.current, reply);
    send_reply(c, reply);
}

void HttpServer::Impl::send_reply(Conn& c, const OutgoingReply& reply) {
    if (stopping) {
        c.close_after = true;
    }
    std::string& out = c.out;
    out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
          "\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(reply.body.size()) + "\r\n";
    for (const auto& [k, v] : reply.headers) {
        out += k + ": " + v + "\r\n";
    }
    out += c.close_after ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
    out += reply.body;
    c.out_off = 0;
    c.phase = Phase::writing;
    c.deadline = now_ms() + o.request_timeout_ms;
    flush(c);
}

void HttpServer::Impl::flush(Conn& c) {
    while (c.out_off < c.out.size()) {
        const char* p = c.out.data() + c.out_off;
        std::size_t left = c.out.size() - c.out_off;
        long n = 0;
        if (c.ssl != nullptr) {
            int r = SSL_write(c.ssl, p, static_cast<int>(left));
            if (r <= 0) {
                int e = SSL_get_error(c.ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    watch(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
                    return;
                }
                ERR_clear_error();
                close_conn(c);
                return;
            }
            n = r;
        } else {
            n = ::send(c.fd, p, left, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                watch(c, EPOLLOUT);
                return;
            }
            if (n < 0) {
                close_conn(c);
                return;
            }
        }
        c.out_off += static_cast<std::size_t>(n);
    }
    if (c.close_after && c.linger) {
        start_draining(c);
        return;
    }
    if (c.close_after) {
        close_conn(c);
        return;
    }
    // Keep-alive: wait for the next request (perhaps already read: pipelining).
    c.out.clear();
    c.served += 1;
    c.phase = Phase::reading;
    c.head_done = false;
    c.body_len = 0;
    c.got_bytes = !c.in.empty();
    c.since = now_ms();
    c.deadline = c.since + (c.got_bytes ? o.request_timeout_ms : o.idle_timeout_ms);
    watch(c, EPOLLIN);
    if (c.got_bytes) {
        process(c);
    }
}

void HttpServer::Impl::on_event(Conn& c) {
    if (c.ssl != nullptr && !c.handshaken) {
        int r = SSL_accept(c.ssl);
        if (r != 1) {
            int e = SSL_get_error(c.ssl, r);
            ERR_clear_error();
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                watch(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN);
            } else {
                close_conn(c);
            }
            return;
        }
        c.handshaken = true;
        watch(c, EPOLLIN);
    }
    if (c.phase == Phase::reading) {
        if (read_available(c)) {
            process(c);
        }
    } else if (c.phase == Phase::writing) {
        flush(c);
    } else if (c.phase == Phase::processing) {
        watch(c, 0); // read after the reply (flush watches again)
    } else if (c.phase == Phase::draining) {
        char buf[16384];
        long n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close_conn(c);
        }
    }
}

} // namespace twofa
