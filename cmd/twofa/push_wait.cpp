#include "push_wait.hpp"
#include "terminal.hpp"

#include <twofa/watch.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <poll.h>

namespace twofa::cli {

namespace {

constexpr auto k_remote_interval = std::chrono::seconds(3); // Authy polled when no callback
constexpr int k_frame_ms = 100;
// A change in the database folder arrives as the listener starts writing, before its commit is
// visible; for a moment after one, look again every few milliseconds.
constexpr auto k_hot_window = std::chrono::milliseconds(300);
constexpr int k_hot_poll_ms = 3;

// The status line: spinner, countdown and the way out.
class StatusLine {
  public:
    explicit StatusLine(bool fancy) : m_fancy(fancy) { set_status_line_active(fancy); }
    ~StatusLine() {
        clear();
        set_status_line_active(false);
    }
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    void draw(std::int64_t seconds_left, bool enter_works) {
        static const char* k_frames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
        if (!m_fancy) {
            if (!m_said) {
                std::cerr << "Approve the request on your phone (expires in "
                          << clock_text(seconds_left) << ").\n";
                m_said = true;
            }
            return;
        }
        std::cout << "\r\x1b[2K" << k_frames[m_frame++ % 10]
                  << " Approve the request on your phone \xe2\x80\x94 expires in "
                  << clock_text(seconds_left)
                  << (enter_works ? " \xc2\xb7 press Enter to use a code instead" : "")
                  << std::flush;
    }
    void clear() {
        if (m_fancy) {
            std::cout << "\r\x1b[2K" << std::flush;
        }
    }

  private:
    bool m_fancy;
    bool m_said = false;
    unsigned m_frame = 0;
};

} // namespace

PushWait wait_for_push(App& app, const SessionView& started, int limit_seconds) {
    Logins& logins = app.logins();
    const std::string& id = started.id;
    FolderWatch watch(std::filesystem::path(app.config().db_path).parent_path().string());
    TtyInput tty;
    StatusLine line(app.fancy());
    const std::int64_t limit_at = App::now() + limit_seconds;
    auto next_remote = std::chrono::steady_clock::now() + k_remote_interval;
    bool remote_failed = false;
    auto hot_until = std::chrono::steady_clock::now();
    while (true) {
        SessionView v = unwrap(logins.peek(id));
        std::int64_t now = App::now();
        if (v.state != SessionState::onetouch || now >= v.record.expires_at) {
            if (v.state == SessionState::onetouch) {
                // Past the expiry: Authy has the last word (failing that, the session expires).
                (void)logins.refresh_approval(id);
            }
            return {PushEnd::answered, unwrap(logins.status(id))};
        }
        if (now >= limit_at) {
            return {PushEnd::limit_reached, v};
        }
        if (std::chrono::steady_clock::now() >= next_remote) {
            auto remote = logins.refresh_approval(id);
            if (!remote.ok() && !remote_failed) {
                remote_failed = true; // keep waiting for the callback; say it once
                line.clear();
                std::cerr << "twofa: warning: " << remote.error().text() << "\n";
            }
            next_remote = std::chrono::steady_clock::now() + k_remote_interval;
            continue;
        }
        line.draw(std::min(v.record.expires_at, limit_at) - now, tty.fd() >= 0);
        pollfd fds[2] = {{watch.fd(), POLLIN, 0}, {tty.fd(), POLLIN, 0}};
        int timeout = watch.fd() < 0 ? 50 : app.fancy() ? k_frame_ms : 1000;
        if (std::chrono::steady_clock::now() < hot_until) {
            timeout = k_hot_poll_ms;
        }
        if (::poll(fds, 2, timeout) > 0) {
            if ((fds[1].revents & POLLIN) != 0 && tty.enter_pressed()) {
                return {PushEnd::use_code, v};
            }
            if ((fds[0].revents & POLLIN) != 0) {
                watch.drain();
                hot_until = std::chrono::steady_clock::now() + k_hot_window;
            }
        }
    }
}

} // namespace twofa::cli
