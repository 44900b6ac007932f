#include <twofa/syslog.hpp>
#include <twofa/validate.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace twofa {

std::optional<int> syslog_facility_code(const std::string& name) {
    static const std::array<std::pair<const char*, int>, 12> k_facilities = {{
        {"auth", 4},
        {"authpriv", 10},
        {"daemon", 3},
        {"user", 1},
        {"local0", 16},
        {"local1", 17},
        {"local2", 18},
        {"local3", 19},
        {"local4", 20},
        {"local5", 21},
        {"local6", 22},
        {"local7", 23},
    }};
    for (const auto& [n, code] : k_facilities) {
        if (name == n) {
            return code;
        }
    }
    return std::nullopt;
}

int audit_severity(const AuditEvent& e) {
    if (e.outcome == "locked" || e.event == "failmode.safe" || e.event == "code.lock" ||
        e.detail.find("failmode = safe") != std::string::npos) {
        return 4;
    }
    static const std::array<const char*, 9> k_fine = {"ok",       "allowed", "ignored",
                                                      "approved", "applied", "pending",
                                                      "expired",  "lapsed",  "exists"};
    for (const char* fine : k_fine) {
        if (e.outcome == fine) {
            return 6;
        }
    }
    return 5;
}

std::string audit_message(const AuditEvent& e) {
    std::string out = strip_control(e.event) + " " + strip_control(e.outcome);
    if (!e.email.empty()) {
        out += " user=" + strip_control(e.email);
    }
    if (!e.session.empty()) {
        out += " session=" + strip_control(e.session.substr(0, 12));
    }
    if (!e.detail.empty()) {
        std::string detail = strip_control(e.detail);
        for (char& c : detail) {
            c = c == '"' ? '\'' : c;
        }
        out += " detail=\"" + detail + "\"";
    }
    return out;
}

namespace {

// One datagram socket connected to the daemon, reconnected when the daemon restarted.
class SyslogSocket {
  public:
    SyslogSocket(std::string path, int facility, std::string ident)
        : m_path(std::move(path)), m_facility(facility), m_ident(std::move(ident)) {}
    ~SyslogSocket() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    SyslogSocket(const SyslogSocket&) = delete;
    SyslogSocket& operator=(const SyslogSocket&) = delete;

    void send(const AuditEvent& e) {
        std::lock_guard lock(m_mutex);
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!m_connected && !connect()) {
                return; // no daemon: dropped, before any formatting
            }
            const std::string line = datagram(e);
            if (::send(m_fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0 ||
                errno == EAGAIN) {
                return; // sent, or the daemon is behind: dropped rather than waited for
            }
            ::close(m_fd);
            m_fd = -1;
            m_connected = false;
        }
    }

  private:
    // Connects the socket (made once, kept while no daemon answers). After a failed attempt
    // the next one waits a second: with no daemon, a connect per event (a path lookup that
    // fails) was 3 % of the listener's time per callback.
    bool connect() {
        const auto now = std::chrono::steady_clock::now();
        if (now < m_retry_at) {
            return false;
        }
        m_retry_at = now + std::chrono::seconds(1);
        sockaddr_un addr{};
        if (m_path.empty() || m_path.size() >= sizeof addr.sun_path) {
            return false;
        }
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, m_path.c_str(), m_path.size() + 1);
        if (m_fd < 0) {
            m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        }
        m_connected = m_fd >= 0 &&
                      ::connect(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
        if (m_connected) {
            m_retry_at = {}; // a daemon that restarts later is reconnected to at once
        }
        return m_connected;
    }

    // "<86>Nov 26 18:00:00 twofa[1234]: login.password ok user=...", as syslog(3) writes it.
    std::string datagram(const AuditEvent& e) const {
        std::time_t now = std::time(nullptr);
        std::tm local{};
        ::localtime_r(&now, &local);
        char stamp[32] = "";
        (void)std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &local); // always fits
        return "<" + std::to_string(m_facility * 8 + audit_severity(e)) + ">" + stamp + " " +
               m_ident + "[" + std::to_string(::getpid()) + "]: " + audit_message(e);
    }

    std::mutex m_mutex;
    std::string m_path;
    int m_facility;
    std::string m_ident;
    int m_fd = -1;
    bool m_connected = false;
    std::chrono::steady_clock::time_point m_retry_at{};
};

} // namespace

AuditSink syslog_sink(const Config& config, const std::string& ident) {
    auto facility = syslog_facility_code(config.syslog_facility);
    if (!facility) {
        return {};
    }
    auto socket = std::make_shared<SyslogSocket>(config.syslog_socket, *facility, ident);
    return [socket](const AuditEvent& e) { socket->send(e); };
}

} // namespace twofa
