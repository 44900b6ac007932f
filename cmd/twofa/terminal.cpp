#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace twofa::cli {

namespace {

// The terminal state to restore if a signal arrives while echo is off.
volatile sig_atomic_t g_saved_fd = -1;
termios g_saved_termios{};
volatile sig_atomic_t g_status_line = 0;

void on_interrupt(int) {
    if (g_status_line != 0) {
        static const char k_clear[] = "\r\x1b[2K";
        (void)!::write(STDERR_FILENO, k_clear, sizeof k_clear - 1);
    }
    if (g_saved_fd >= 0) {
        ::tcsetattr(g_saved_fd, TCSAFLUSH, &g_saved_termios);
        (void)!::write(g_saved_fd, "\n", 1);
    }
    static const char k_msg[] = "twofa: interrupted\n";
    (void)!::write(STDERR_FILENO, k_msg, sizeof k_msg - 1);
    ::_exit(130);
}

std::atomic<bool> g_stop_requested{false};
const char* g_stop_notice = "";
std::size_t g_stop_notice_size = 0;

void on_stop_request(int signal) {
    if (g_stop_requested.exchange(true)) {
        on_interrupt(signal);
    }
    if (g_status_line != 0) {
        static const char k_clear[] = "\r\x1b[2K";
        (void)!::write(STDERR_FILENO, k_clear, sizeof k_clear - 1);
    }
    (void)!::write(STDERR_FILENO, g_stop_notice, g_stop_notice_size);
}

void handle_stop_signals(void (*handler)(int)) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART; // a stop request lets reads and polls go on
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

class Tty {
  public:
    Tty() : m_fd(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) {}
    ~Tty() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Tty(const Tty&) = delete;
    Tty& operator=(const Tty&) = delete;
    int fd() const { return m_fd; }

    // Reads one line; with a timeout (seconds > 0), Exit::expired when none comes in time.
    Result<std::string> ask(const std::string& prompt, bool echo, int timeout_seconds = 0) {
        if (m_fd < 0) {
            return make_error(Exit::usage, "no terminal to ask for input",
                              "run it in a terminal or use the --...-stdin option");
        }
        // Echo goes off before the prompt appears, so nothing typed after it can be echoed.
        termios old{};
        bool restore = false;
        if (!echo && ::tcgetattr(m_fd, &old) == 0) {
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            quiet.c_lflag |= ECHONL;
            g_saved_termios = old;
            g_saved_fd = m_fd;
            ::tcsetattr(m_fd, TCSAFLUSH, &quiet);
            restore = true;
        }
        write_all(prompt);
        std::string line;
        char c = 0;
        bool got_eof = true;
        bool timed_out = false;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
        while (true) {
            if (timeout_seconds > 0) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now());
                pollfd p{m_fd, POLLIN, 0};
                if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
                    timed_out = true;
                    break;
                }
            }
            if (::read(m_fd, &c, 1) != 1) {
                break;
            }
            if (c == '\n' || c == '\r') {
                got_eof = false;
                break;
            }
            line.push_back(c);
        }
        if (restore) {
            ::tcsetattr(m_fd, TCSADRAIN, &old);
            g_saved_fd = -1;
        }
        if (timed_out) {
            write_all("\n");
            return make_error(Exit::expired, "nothing was typed in time",
                              "finish with twofa verify CODE, or log in again");
        }
        if (got_eof && line.empty()) {
            return make_error(Exit::usage, "no input", "type a value and press Enter");
        }
        return line;
    }

  private:
    void write_all(const std::string& s) const {
        std::size_t done = 0;
        while (done < s.size()) {
            auto n = ::write(m_fd, s.data() + done, s.size() - done);
            if (n <= 0) {
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    int m_fd;
};

} // namespace

void install_interrupt_handler() {
    handle_stop_signals(on_interrupt);
}

StopRequest::StopRequest(const char* notice) {
    g_stop_notice = notice;
    g_stop_notice_size = std::strlen(notice);
    g_stop_requested = false;
    handle_stop_signals(on_stop_request);
}

StopRequest::~StopRequest() {
    handle_stop_signals(on_interrupt);
}

const std::atomic<bool>& StopRequest::requested() const {
    return g_stop_requested;
}

bool stdin_is_tty() {
    return ::isatty(STDIN_FILENO) == 1;
}
bool decorations_allowed(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) == 1 && (no_color == nullptr || *no_color == '\0') && term != nullptr &&
           *term != '\0' && std::strcmp(term, "dumb") != 0;
}

std::optional<std::pair<int, int>> terminal_size(int fd) {
    struct winsize ws {};
    if (::isatty(fd) != 1 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
        return std::nullopt;
    }
    return std::make_pair(static_cast<int>(ws.ws_col), static_cast<int>(ws.ws_row));
}

Result<std::string> read_secret(const std::string& prompt) {
    return Tty().ask(prompt, false);
}
Result<std::string> read_tty_line(const std::string& prompt, int timeout_seconds) {
    return Tty().ask(prompt, true, timeout_seconds);
}

bool tty_available() {
    return Tty().fd() >= 0;
}

TtyInput::TtyInput() : m_fd(::open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) {}

TtyInput::~TtyInput() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool TtyInput::enter_pressed() const {
    char buf[256];
    bool enter = false;
    ssize_t n = 0;
    while (m_fd >= 0 && (n = ::read(m_fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; ++i) {
            enter = enter || buf[i] == '\n' || buf[i] == '\r';
        }
    }
    return enter;
}

void set_status_line_active(bool active) {
    g_status_line = active ? 1 : 0;
}

Result<std::string> read_stdin_line(const std::string& what) {
    std::string line;
    if (!std::getline(std::cin, line)) {
        return make_error(Exit::usage, "no " + what + " on standard input", "pipe it in, one line");
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

Result<std::string> read_input_file(const std::string& path, std::size_t max_bytes) {
    const std::string shown = strip_control(path);
    int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return make_error(Exit::usage, "cannot read " + shown + ": " + std::strerror(errno),
                          "check the path");
    }
    struct stat st {};
    bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (path != "-" && !regular) {
        ::close(fd);
        return make_error(Exit::usage, shown + " is not a regular file",
                          "give a CSV or JSON-lines file, or - for standard input");
    }
    std::string out;
    char buf[65536];
    while (true) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            break; // too much: refused below, without reading the rest
        }
    }
    if (fd != STDIN_FILENO) {
        ::close(fd);
    }
    if (out.size() > max_bytes) {
        return make_error(Exit::usage,
                          shown + " is larger than " + std::to_string(max_bytes >> 20) + " MiB",
                          "split it into smaller files");
    }
    return out;
}

} // namespace twofa::cli
