// The library's login flow over a fake provider and a scripted prompter: the policy every
// front end shares (push, wait, Enter to switch, fallback, code prompts, locks, failmode),
// with no provider wire format in sight.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/gate.hpp>
#include <twofa/login_flow.hpp>
#include <twofa/password.hpp>
#include <twofa/users.hpp>

#include <deque>
#include <functional>
#include <poll.h>
#include <unistd.h>

using namespace twofa;

namespace {

struct FakeProvider : SecondFactor {
    ProviderInfo about{
        "fake", "Fake",           "fake_id",
        false,  "/fake/callback", {Channel::push, Channel::sms, Channel::call, Channel::app_code},
        false};
    bool has_app = true;
    bool down = false; // every call fails as unreachable
    std::string good_code = "123456";
    PushState poll_answer = PushState::pending;
    int sends = 0;
    int pushes = 0;
    PushRequest last_push;
    int polls = 0;

    const ProviderInfo& info() const override { return about; }
    Error unreachable() const {
        Error e = make_error(Exit::unavailable, "cannot reach Fake");
        e.unreachable = true;
        return e;
    }
    Result<Enrollment> enroll(const EnrollRequest&) override { return Enrollment{"u-1", {}, {}}; }
    Result<bool> remove(const std::string&) override { return true; }
    Result<DeviceInfo> devices(const std::string&) override {
        if (down) {
            return unreachable();
        }
        DeviceInfo d;
        d.has_app = has_app;
        return d;
    }
    Result<Challenge> start(const Recipient&, Channel channel, const PushRequest& push) override {
        if (down) {
            return unreachable();
        }
        if (channel == Channel::push) {
            last_push = push;
            return Challenge{channel, "push-" + std::to_string(++pushes)};
        }
        sends += channel == Channel::app_code ? 0 : 1;
        return Challenge{channel, ""};
    }
    Result<CodeVerdict> check(const Recipient&, const Challenge&,
                              const std::string& code) override {
        if (down) {
            return unreachable();
        }
        return code == good_code ? CodeVerdict::valid : CodeVerdict::invalid;
    }
    Result<PushState> poll(const Challenge&) override {
        ++polls;
        if (down) {
            return unreachable();
        }
        return poll_answer;
    }
    Status health() override { return {}; }
};

struct FakePrompter : Prompter {
    std::deque<std::string> codes;
    std::vector<Notice> notices;
    int frames = 0;
    std::function<void(int frame)> on_frame; // what happens while the push waits
    std::function<void(Notice)> on_notice;
    bool input_ends = false; // with no codes left: the input's end, not a timeout
    int pipe_fds[2] = {-1, -1};

    FakePrompter() { REQUIRE(::pipe(pipe_fds) == 0); }
    ~FakePrompter() override {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
    }
    FakePrompter(const FakePrompter&) = delete;
    FakePrompter& operator=(const FakePrompter&) = delete;

    void press_enter() const { REQUIRE(::write(pipe_fds[1], "\n", 1) == 1); }

    Result<std::string> password(const std::string&) override {
        return std::string("correct horse battery staple");
    }
    Result<std::string> code(std::int64_t) override {
        if (codes.empty() && input_ends) {
            return make_error(Exit::usage, "no code on standard input");
        }
        if (codes.empty()) {
            return make_error(Exit::expired, "no code typed in time");
        }
        std::string c = codes.front();
        codes.pop_front();
        return c;
    }
    void notice(const FlowEvent& e) override {
        notices.push_back(e.notice);
        if (on_notice) {
            on_notice(e.notice);
        }
    }
    void waiting(std::int64_t, bool) override {
        if (on_frame) {
            on_frame(++frames);
        }
    }
    void waiting_done() override {}
    int switch_fd() override { return pipe_fds[0]; }
    bool switch_requested() override {
        char c = 0;
        return ::read(pipe_fds[0], &c, 1) == 1 && c == '\n';
    }
};

struct World {
    TempDir dir;
    std::unique_ptr<Store> store;
    FakeProvider provider;
    FakePrompter prompter;
    std::int64_t now = 1'800'000'000;
    LoginPolicy policy;
    std::unique_ptr<Logins> logins;
    FlowOptions options;
    std::vector<std::string> sessions; // what on_session persisted
    UserRecord user;

    World() {
        store = std::move(open_sqlite_store(dir.file("t.db")).value());
        make_logins();
        options.frame = std::chrono::milliseconds(1);
        options.provider_poll = std::chrono::hours(1); // only the change feed wakes the wait
        options.on_session = [this](const SessionView& v) -> Status {
            sessions.push_back(v.id);
            return {};
        };
        user.email = "flow@example.com";
        user.country_code = 1;
        user.phone = "5551230000";
        user.provider = "fake";
        user.provider_user = "u-1";
        user.password_hash = hash_password("correct horse battery staple").value();
        user.created_at = user.updated_at = now;
        user.id = store->insert_user(user).value();
    }
    void make_logins() {
        logins = std::make_unique<Logins>(
            *store, [this](std::string_view) -> Result<SecondFactor*> { return &provider; }, policy,
            [this] { return now; });
    }
    Result<SessionView> run() {
        LoginFlow flow(*logins, prompter, options, [this] { return now; });
        return flow.run(user.email);
    }
    // The listener's side: a verified push result for the latest push, committed.
    void callback(PushState state) {
        PushResult r{"fake", "u-1", "push-" + std::to_string(provider.pushes), state};
        REQUIRE(logins->apply_callbacks({r}).value().at(0) == CallbackOutcome::applied);
    }
};

bool has(const std::vector<Notice>& all, Notice n) {
    return std::find(all.begin(), all.end(), n) != all.end();
}

// The provider goes away once the login's session has started (its code sent).
void down_once_started(World& w) {
    w.options.on_session = [&w](const SessionView&) -> Status {
        w.provider.down = true;
        return {};
    };
}

} // namespace

TEST_CASE("flow: an approved push ends the wait through the change feed, not a poll") {
    World w;
    w.prompter.on_frame = [&](int frame) {
        if (frame == 3) {
            w.callback(PushState::approved);
        }
    };
    auto r = w.run();
    REQUIRE(r.ok());
    CHECK(r->state == SessionState::approved);
    CHECK(w.provider.polls == 0); // the feed woke it; the provider was never asked
    CHECK(w.prompter.frames < 50);
    CHECK(has(w.prompter.notices, Notice::push_sent));
    CHECK(w.sessions.size() == 1);
    CHECK(r->id == w.sessions[0]);
}

TEST_CASE("flow: a denied push falls back to an SMS code in a new session") {
    World w;
    w.prompter.on_frame = [&](int) { w.callback(PushState::denied); };
    w.prompter.codes = {"123456"};
    auto r = w.run();
    REQUIRE(r.ok());
    CHECK(r->state == SessionState::approved);
    CHECK(has(w.prompter.notices, Notice::push_denied));
    CHECK(has(w.prompter.notices, Notice::code_sent));
    CHECK(w.provider.sends == 1);
    REQUIRE(w.sessions.size() == 2);
    CHECK(w.sessions[0] != w.sessions[1]);
    CHECK(r->id == w.sessions[1]);
    CHECK(w.logins->status(w.sessions[0]).value().state == SessionState::denied);
}

TEST_CASE("flow: at expiry the provider has the last word; a push-only login then fails") {
    World w;
    w.options.via = Via::onetouch;
    w.provider.poll_answer = PushState::expired;
    w.prompter.on_frame = [&](int) { w.now += 121; };
    auto r = w.run();
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::expired);
    CHECK(w.provider.polls == 1);

    World late; // the provider approved just before the expiry, and no callback came
    late.provider.poll_answer = PushState::approved;
    late.prompter.on_frame = [&](int) { late.now += 121; };
    CHECK(late.run().value().state == SessionState::approved);
}

TEST_CASE("flow: an expired push falls back to a code when the way was automatic") {
    World w;
    w.prompter.on_frame = [&](int) { w.now += 121; };
    w.provider.poll_answer = PushState::expired;
    w.prompter.codes = {"123456"};
    auto r = w.run();
    REQUIRE(r.ok());
    CHECK(has(w.prompter.notices, Notice::push_expired));
    CHECK(w.sessions.size() == 2);
}

TEST_CASE("flow: Enter switches the same session to a code") {
    World w;
    w.prompter.on_frame = [&](int frame) {
        if (frame == 2) {
            w.prompter.press_enter();
        }
    };
    w.prompter.codes = {"123456"};
    auto r = w.run();
    REQUIRE(r.ok());
    CHECK(r->state == SessionState::approved);
    CHECK(w.sessions.size() == 1); // the same login, now by code
    CHECK(r->record.method == Channel::sms);
    CHECK(w.provider.sends == 1);
}

TEST_CASE("flow: the wait limit ends the wait with the push still open") {
    World w;
    w.options.wait_limit = 30;
    w.prompter.on_frame = [&](int) { w.now += 31; };
    auto r = w.run();
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::expired);
    CHECK(r.error().cause == Cause::push_open);
    CHECK(w.logins->status(w.sessions[0]).value().state == SessionState::onetouch);
}

TEST_CASE("flow: wrong codes are counted, then the session locks, then the user") {
    World w;
    w.provider.has_app = false; // auto -> SMS
    w.options.code_prompts = 6; // a malformed code uses a prompt, not an attempt
    w.prompter.codes = {"000000", "abc", "000001", "000002", "000003", "000004"};
    auto r = w.run();
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::locked);
    CHECK(r.error().cause == Cause::login_over);
    CHECK(std::count(w.prompter.notices.begin(), w.prompter.notices.end(), Notice::wrong_code) ==
          4); // the 5th wrong code locks instead
    CHECK(has(w.prompter.notices, Notice::bad_code_format));

    World u;
    u.provider.has_app = false;
    u.policy.throttle.user_code_failures = 2;
    u.make_logins();
    u.prompter.codes = {"000000", "000001"};
    auto locked = u.run();
    REQUIRE(!locked.ok());
    CHECK(locked.error().cause == Cause::user_locked);
    CHECK(locked.error().subject == "flow@example.com");

    World three; // the prompts run out before the attempts do
    three.provider.has_app = false;
    three.prompter.codes = {"000000", "000001", "000002"};
    auto used = three.run();
    CHECK(used.error().code == Exit::denied);
    CHECK(used.error().cause == Cause::codes_used);
}

TEST_CASE("flow: an unreachable provider fails closed, or skips the factor with failmode = safe") {
    World secure;
    secure.provider.down = true;
    auto r = secure.run();
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::unavailable);
    CHECK(secure.sessions.empty());

    World safe;
    safe.provider.down = true;
    safe.policy.failmode_safe = true;
    safe.make_logins();
    auto open = safe.run();
    REQUIRE(open.ok());
    CHECK(open->failed_open);
    CHECK(open->state == SessionState::approved);
    CHECK(has(safe.prompter.notices, Notice::factor_skipped));

    World mid; // the provider goes away between the send and the check
    mid.provider.has_app = false;
    mid.policy.failmode_safe = true;
    mid.make_logins();
    mid.prompter.codes = {"999999"};
    down_once_started(mid);
    auto skipped = mid.run();
    REQUIRE(skipped.ok());
    CHECK(skipped->failed_open);
}

TEST_CASE("flow: a code the provider could not check is asked again; the error ends it last") {
    World w; // failmode = secure: the provider is away for one check, then back
    w.provider.has_app = false;
    w.prompter.codes = {"123456", "123456"};
    down_once_started(w);
    w.prompter.on_notice = [&](Notice n) {
        if (n == Notice::code_not_checked) {
            w.provider.down = false;
        }
    };
    auto r = w.run();
    REQUIRE(r.ok());
    CHECK(r->state == SessionState::approved);
    CHECK(has(w.prompter.notices, Notice::code_not_checked));
    CHECK_FALSE(r->failed_open);

    World gone; // away for good: the prompts run out, and the login ends with its error
    gone.provider.has_app = false;
    gone.prompter.codes = {"123456", "123456", "123456"};
    down_once_started(gone);
    auto down = gone.run();
    REQUIRE(!down.ok());
    CHECK(down.error().code == Exit::unavailable);
    CHECK(std::count(gone.prompter.notices.begin(), gone.prompter.notices.end(),
                     Notice::code_not_checked) == 2); // not after the last prompt

    World script; // a script's input ends after its one code: the check's error, not the input's
    script.provider.has_app = false;
    script.prompter.codes = {"123456"};
    script.prompter.input_ends = true;
    down_once_started(script);
    auto ended = script.run();
    REQUIRE(!ended.ok());
    CHECK(ended.error().code == Exit::unavailable);
}

TEST_CASE("flow: the app's code, with no send") {
    World w;
    w.options.via = Via::token;
    w.prompter.codes = {"123456"};
    CHECK(w.run().value().state == SessionState::approved);
    CHECK(has(w.prompter.notices, Notice::app_code));
    CHECK(w.provider.sends == 0);
}

TEST_CASE("callbacks wake waiting logins only when they changed a session") {
    World w;
    auto waiter = std::move(w.logins->watch_changes().value());
    REQUIRE(waiter->fd() >= 0);
    pollfd p{waiter->fd(), POLLIN, 0};
    PushResult unknown{"fake", "u-1", "no-such-challenge", PushState::approved};
    CHECK(w.logins->apply_callbacks({unknown}).value().at(0) == CallbackOutcome::unknown);
    CHECK(::poll(&p, 1, 50) == 0);
    LoginFlow flow(*w.logins, w.prompter, w.options, [&w] { return w.now; });
    auto user = flow.authenticate(w.user.email).value();
    REQUIRE(flow.begin(user).ok()); // a push is waiting now
    w.callback(PushState::approved);
    CHECK(::poll(&p, 1, 1000) == 1);
}

TEST_CASE("gate: the account's guard by --unix-user or the rule, pushinfo, verdicts, audit") {
    World w;
    Gate gate(*w.logins, *w.store, GateOptions{false, true, "{user}@example.com"},
              [&w] { return w.now; });
    CHECK_FALSE(gate.guard_of("nobody").value().has_value());
    CHECK(gate.guard_of("flow").value()->email == "flow@example.com"); // the rule
    REQUIRE(set_unix_user(*w.store, "flow@example.com", "alice", w.now).ok());
    CHECK(gate.guard_of("alice").value()->email == "flow@example.com");
    CHECK_FALSE(gate.guard_of("flow").value().has_value()); // it names another account now
    CHECK(gate.guard_of("Not A Name").error().code == Exit::usage);

    w.options.via = Via::onetouch;
    w.prompter.on_frame = [&](int frame) {
        if (frame == 2) {
            w.callback(PushState::approved);
        }
    };
    GateOutcome out = gate.run({"alice", "sshd", "10.0.0.1", "uptime"}, w.prompter, w.options);
    CHECK(out.verdict == GateVerdict::allowed);
    CHECK(out.email == "flow@example.com");
    const auto& d = w.provider.last_push.details;
    for (const auto& line :
         std::vector<std::pair<std::string, std::string>>{{"Service", "sshd"},
                                                          {"From", "10.0.0.1"},
                                                          {"Command", "uptime"},
                                                          {"Unix user", "alice"}}) {
        CHECK(std::find(d.begin(), d.end(), line) != d.end());
    }
    CHECK(gate.run({"bob", "sudo", "", ""}, w.prompter, w.options).verdict == GateVerdict::unknown);
    Gate lenient(*w.logins, *w.store, GateOptions{true, false, ""}, [&w] { return w.now; });
    CHECK(lenient.run({"bob", "sudo", "", ""}, w.prompter, w.options).verdict ==
          GateVerdict::ignored);
    auto user = w.store->find_user("flow@example.com").value().value();
    CHECK(gate.ended({"alice", "sshd", "", ""}, user, make_error(Exit::expired, "no answer"))
              .verdict == GateVerdict::expired);
    // The result in a local first: a range-for over a temporary's value() would dangle.
    const auto audit = w.store->recent_audit(100).value();
    std::vector<std::string> outcomes;
    for (const auto& e : audit) {
        if (e.event == "gate") {
            outcomes.insert(outcomes.begin(), e.outcome);
        }
    }
    CHECK(outcomes == std::vector<std::string>{"allowed", "unknown", "ignored", "expired"});
}
