// Security events to syslog: severity, message, the datagram on a real socket, and only
// committed events.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/syslog.hpp>

#include <chrono>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using namespace twofa;

namespace {

// A datagram socket standing in for the syslog daemon.
class FakeDaemon {
  public:
    explicit FakeDaemon(const std::string& path) : m_fd(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{0, 200000};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~FakeDaemon() { ::close(m_fd); }
    FakeDaemon(const FakeDaemon&) = delete;
    FakeDaemon& operator=(const FakeDaemon&) = delete;
    // The next datagram, or "" when none comes within 200 ms.
    std::string next() const {
        char buf[2048];
        ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    }

  private:
    int m_fd;
};

AuditEvent event(const std::string& name, const std::string& outcome,
                 const std::string& detail = "") {
    return {1, name, "alice@example.com", "0123456789abcdef0123", outcome, detail};
}

} // namespace

TEST_CASE("syslog: facilities, severities and the message") {
    CHECK(syslog_facility_code("authpriv") == 10);
    CHECK(syslog_facility_code("local7") == 23);
    CHECK(!syslog_facility_code("off"));
    CHECK(!syslog_facility_code("kern"));
    CHECK(audit_severity(event("login.password", "ok")) == 6);
    CHECK(audit_severity(event("login.password", "denied")) == 5);
    CHECK(audit_severity(event("code.check", "wrong")) == 5);
    CHECK(audit_severity(event("code.lock", "locked")) == 4);
    CHECK(audit_severity(event("failmode.safe", "allowed")) == 4);
    CHECK(audit_severity(event("gate", "allowed",
                               "service=sshd (failmode = safe: second factor "
                               "skipped)")) == 4);
    CHECK(audit_severity(event("gate", "allowed", "service=sshd")) == 6);
    CHECK(audit_message(event("login.password", "denied", "wrong \"password\"\x1b[31m")) ==
          "login.password denied user=alice@example.com session=0123456789ab detail=\"wrong "
          "'password'[31m\"");
    CHECK(audit_message({1, "logout", "", "", "ok", ""}) == "logout ok");
}

TEST_CASE("syslog: one datagram per event, none without a daemon (retried each second) or off") {
    TempDir dir;
    Config c;
    c.syslog_socket = dir.file("log");
    AuditSink sink = syslog_sink(c, "twofa");
    REQUIRE(sink);
    sink(event("login.password", "ok")); // no daemon yet: dropped, no error, no wait
    FakeDaemon daemon(c.syslog_socket);
    sink(event("login.password", "ok")); // within a second of the failed connect: not retried
    CHECK(daemon.next().empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    sink(event("code.lock", "locked"));
    std::string line = daemon.next();
    // authpriv (10) * 8 + warning (4) = 84
    CHECK(line.rfind("<84>", 0) == 0);
    CHECK(line.find(" twofa[" + std::to_string(::getpid()) + "]: code.lock locked user=alice@") !=
          std::string::npos);
    CHECK(daemon.next().empty());
    c.syslog_facility = "local3";
    syslog_sink(c, "twofa")(event("login.password", "denied"));
    CHECK(daemon.next().rfind("<157>", 0) == 0); // 19 * 8 + 5
    c.syslog_facility = "off";
    CHECK(!syslog_sink(c, "twofa"));
}

TEST_CASE("syslog: the store sends an event once its transaction commits, never on rollback") {
    TempDir dir;
    auto store = open_store(dir.file("t.db"), StoreOpen::create);
    REQUIRE(store.ok());
    std::vector<std::string> sent;
    (*store)->set_audit_sink([&](const AuditEvent& e) { sent.push_back(e.event); });
    CHECK((*store)->audit(event("user.add", "ok")).ok()); // outside a transaction: at once
    CHECK(sent == std::vector<std::string>{"user.add"});
    Status failed = (*store)->transaction([&]() -> Status {
        TRY((*store)->audit(event("login.password", "ok")));
        CHECK(sent.size() == 1); // not before the commit
        return make_error(Exit::internal, "rolled back");
    });
    CHECK(!failed.ok());
    CHECK(sent.size() == 1);
    CHECK((*store)->transaction([&] { return (*store)->audit(event("logout", "ok")); }).ok());
    CHECK(sent == std::vector<std::string>{"user.add", "logout"});
    CHECK((*store)->recent_audit(10)->size() == 2);
}
