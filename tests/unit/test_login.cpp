// Login sessions against a temp-file store, the Authy adapter over a fake transport (canned
// Authy answers) and a fake clock. test_login_flow.cpp drives the same core over a fake
// provider.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/authy/bodies.hpp>
#include <twofa/authy/provider.hpp>
#include <twofa/authy/wire.hpp>
#include <twofa/login.hpp>
#include <twofa/otp.hpp>
#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <set>
#include <sys/stat.h>

using namespace twofa;

namespace {

const char* k_valid =
    R"({"message":"Token is valid.","token":"is valid","success":"true","device":{"id":null}})";
const char* k_invalid =
    R"({"message":"Token is invalid","token":"is invalid","success":false,"errors":{"message":"Token is invalid"},"error_code":"60020"})";
const char* k_sms =
    R"({"success":true,"message":"SMS token was sent","cellphone":"+1-XXX-XXX-0000"})";

// Authy as a function of the request path; records every path.
struct FakeAuthy : HttpTransport {
    std::string good_code = "1234567";
    long fail_status = 0; // answer every request with this status when set
    std::vector<std::string> paths;
    HttpResponse send(const HttpRequest& req) override {
        std::string path = req.url.substr(req.url.find("/protected"));
        paths.push_back(path);
        HttpResponse r;
        if (fail_status != 0) {
            r.status = fail_status;
            r.body = R"({"message":"down","success":false})";
        } else if (path.find("/verify/") != std::string::npos) {
            bool ok = path.find("/verify/" + good_code + "/") != std::string::npos;
            r.status = ok ? 200 : 401;
            r.body = ok ? k_valid : k_invalid;
        } else {
            r.status = 200;
            r.body = k_sms;
        }
        return r;
    }
};

struct World {
    TempDir dir;
    std::unique_ptr<Store> store;
    FakeAuthy* authy = nullptr;
    std::unique_ptr<SecondFactor> client;
    std::int64_t now = 1'800'000'000;
    LoginPolicy policy;
    std::unique_ptr<Logins> logins;
    UserRecord user;

    World() {
        store = std::move(open_sqlite_store(dir.file("t.db")).value());
        auto t = std::make_unique<FakeAuthy>();
        authy = t.get();
        client = authy::make_provider(std::make_unique<AuthyClient>(
            "http://127.0.0.1:1", "KEY", std::move(t), RetryPolicy{1}, [](auto) {}));
        logins = std::make_unique<Logins>(
            *store, [this](std::string_view) -> Result<SecondFactor*> { return client.get(); },
            policy, [this] { return now; });
        user.email = "alice@example.com";
        user.country_code = 1;
        user.phone = "5551230000";
        user.provider = "authy";
        user.provider_user = "1001";
        user.password_hash = hash_password("correct horse battery staple").value();
        user.created_at = user.updated_at = now;
        user.id = store->insert_user(user).value();
    }
    void set_policy(const LoginPolicy& p) {
        policy = p;
        logins = std::make_unique<Logins>(
            *store, [this](std::string_view) -> Result<SecondFactor*> { return client.get(); },
            policy, [this] { return now; });
    }
    std::string user_status() { return to_string(store->find_user(user.email).value()->status); }
    // A push session of the user waiting on this Authy challenge, stored (as a push login
    // leaves it), with its row id.
    SessionRecord push_session(const std::string& challenge, std::int64_t created) {
        SessionRecord s;
        s.id_hash = hash_session_id(new_session_id());
        s.user_id = user.id;
        s.provider = "authy";
        s.provider_user = user.provider_user;
        s.method = Channel::push;
        s.status = SessionState::onetouch;
        s.challenge = challenge;
        s.created_at = s.updated_at = created;
        s.expires_at = now + 120;
        s.id = store->insert_session(s).value();
        return s;
    }
};

} // namespace

TEST_CASE("codes: 6 to 10 ASCII digits and nothing else") {
    for (const char* ok : {"123456", "1234567", "1234567890"}) {
        CHECK(validate_code(ok).ok());
    }
    for (const char* bad : {"", "12345", "12345678901", "../sms", "12ab56", " 123456", "123456\n",
                            "１２３４５６", "-123456", "123 456"}) {
        auto r = validate_code(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Exit::usage);
    }
}

TEST_CASE("session ids: 192 random bits, stored only as SHA-256") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        auto id = new_session_id();
        CHECK(id.size() == 32);
        CHECK(validate_session_id(id).ok());
        seen.insert(id);
    }
    CHECK(seen.size() == 200);
    CHECK(hash_session_id("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(validate_session_id("short").error().code == Exit::usage);
    CHECK_FALSE(validate_session_id(std::string(31, 'a').append("/")).ok());
}

TEST_CASE("current-session file: 0600, read back, refused when others can read it") {
    TempDir dir;
    std::string state = dir.file("state/twofa");
    CHECK_FALSE(load_current_session(state).value().has_value());
    auto id = new_session_id();
    REQUIRE(save_current_session(state, id).ok());
    struct stat st {};
    REQUIRE(::stat((state + "/session").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(load_current_session(state).value() == id);
    ::chmod((state + "/session").c_str(), 0644);
    CHECK(load_current_session(state).error().code == Exit::config);
    REQUIRE(clear_current_session(state).ok());
    CHECK_FALSE(load_current_session(state).value().has_value());
    CHECK(clear_current_session(state).ok()); // removing twice is fine
}

TEST_CASE("an SMS login: sent, wrong codes count down, the 5th locks, a resend never resets") {
    World w;
    auto v = w.logins->start(w.user, Via::sms).value();
    CHECK(v.state == SessionState::sms);
    CHECK(v.record.sends == 1);
    CHECK(v.sent_to == "+1 ***-***-0000");
    CHECK(w.user_status() == "sms");
    CHECK(w.authy->paths.back() == "/protected/json/sms/1001?force=true");
    for (int left = 4; left >= 2; --left) {
        auto c = w.logins->verify(v.id, "7654321").value();
        CHECK_FALSE(c.accepted);
        CHECK(c.view.attempts_left == left);
    }
    w.now += 30;
    REQUIRE(w.logins->resend(v.id, std::nullopt).ok());
    auto fourth = w.logins->verify(v.id, "7654321").value();
    CHECK(fourth.view.attempts_left == 1); // the resend did not reset the count
    auto fifth = w.logins->verify(v.id, "7654321").value();
    CHECK(fifth.view.state == SessionState::locked);
    CHECK(w.user_status() == "locked");
    auto after = w.logins->verify(v.id, "1234567");
    CHECK(after.error().code == Exit::locked);
    std::size_t checks = 0;
    for (const auto& p : w.authy->paths) {
        checks += p.find("/verify/") != std::string::npos ? 1U : 0U;
    }
    CHECK(checks == 5); // the locked session's last try never reached Authy
}

TEST_CASE("the right code approves, the approval lasts approved_ttl, then expires") {
    World w;
    auto v = w.logins->start(w.user, Via::call).value();
    CHECK(w.authy->paths.back() == "/protected/json/call/1001?force=true");
    auto c = w.logins->verify(v.id, "1234567").value();
    CHECK(c.accepted);
    CHECK(c.view.state == SessionState::approved);
    CHECK(w.user_status() == "approved");
    CHECK(c.view.record.expires_at == w.now + w.policy.approved_ttl);
    w.now += w.policy.approved_ttl;
    CHECK(w.logins->status(v.id).value().state == SessionState::expired);
    CHECK(w.user_status() == "expired");
}

TEST_CASE("a pending session expires after pending_ttl") {
    World w;
    auto v = w.logins->start(w.user, Via::token).value();
    CHECK(w.authy->paths.empty()); // token: nothing sent
    w.now += w.policy.pending_ttl - 1;
    CHECK(w.logins->status(v.id).value().state == SessionState::token);
    w.now += 1;
    CHECK(w.logins->verify(v.id, "1234567").error().code == Exit::expired);
    CHECK(w.authy->paths.empty());
}

TEST_CASE("resends: one per interval, five per session, waits reported") {
    World w;
    auto v = w.logins->start(w.user, Via::sms).value();
    w.now += 10;
    auto early = w.logins->resend(v.id, std::nullopt);
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().code == Exit::locked);
    CHECK(early.error().hint.find("wait 20 s") != std::string::npos);
    for (int i = 2; i <= 5; ++i) {
        w.now += 30;
        auto r = w.logins->resend(v.id, i == 3 ? std::optional<Via>(Via::call) : std::nullopt);
        REQUIRE(r.ok());
        CHECK(r->record.sends == i);
    }
    CHECK(w.authy->paths[2] == "/protected/json/call/1001?force=true");
    CHECK(w.authy->paths[3] == "/protected/json/call/1001?force=true"); // the way sticks
    w.now += 30;
    auto sixth = w.logins->resend(v.id, Via::sms);
    CHECK(sixth.error().code == Exit::locked);
    CHECK(sixth.error().message.find("no more codes") != std::string::npos);
    CHECK(w.logins->resend(v.id, Via::token).error().code == Exit::usage);
}

TEST_CASE("a provider failure stores nothing and gives back the attempt or the send") {
    World w;
    w.authy->fail_status = 503;
    auto failed = w.logins->start(w.user, Via::sms);
    CHECK(failed.error().code == Exit::unavailable);
    CHECK_FALSE(w.store->latest_session(w.user.id).value().has_value());
    CHECK(w.user_status() == "unverified");

    w.authy->fail_status = 0;
    auto v = w.logins->start(w.user, Via::sms).value();
    w.authy->fail_status = 503;
    CHECK(w.logins->verify(v.id, "1234567").error().code == Exit::unavailable);
    CHECK(w.logins->status(v.id).value().attempts_left == 5);
    w.now += 30;
    CHECK(w.logins->resend(v.id, std::nullopt).error().code == Exit::unavailable);
    CHECK(w.logins->status(v.id).value().record.sends == 1);
}

TEST_CASE("failmode = safe lets a login through when Authy is unreachable, and says so") {
    World w;
    LoginPolicy p;
    p.failmode_safe = true;
    w.set_policy(p);
    w.authy->fail_status = 503;
    auto v = w.logins->start(w.user, Via::sms).value();
    CHECK(v.failed_open);
    CHECK(v.state == SessionState::approved);
    auto audit = w.store->recent_audit(10).value();
    bool logged = false;
    for (const auto& e : audit) {
        logged = logged || (e.event == "failmode.safe" && e.outcome == "allowed");
    }
    CHECK(logged);
    w.authy->fail_status = 401; // a refusal is never failed open
    CHECK(w.logins->start(w.user, Via::sms).error().code == Exit::rejected);
}

TEST_CASE("failmode = safe never turns a malformed answer into a pass, nor calls a code right") {
    World w;
    LoginPolicy p;
    p.failmode_safe = true;
    w.set_policy(p);
    auto v = w.logins->start(w.user, Via::sms).value();
    w.authy->fail_status = 200; // 200 with a body that is not a verdict
    CHECK(w.logins->verify(v.id, "1234567").error().code == Exit::unavailable);
    CHECK(w.logins->status(v.id).value().state == SessionState::sms);
    w.authy->fail_status = 503;
    auto skipped = w.logins->verify(v.id, "7654321").value();
    CHECK_FALSE(skipped.accepted);
    CHECK(skipped.view.failed_open);
    CHECK(skipped.view.state == SessionState::approved);
}

TEST_CASE("wrong codes count per user across sessions: back-off, then a lock for every channel") {
    World w;
    LoginPolicy p;
    p.throttle.user_code_failures = 7;
    w.set_policy(p);
    int checks = 0;
    for (int session = 0; session < 8; ++session) {
        auto v = w.logins->start(w.user, Via::token);
        if (!v.ok()) {
            CHECK(v.error().code == Exit::locked);
            continue;
        }
        for (int i = 0; i < 5; ++i) {
            auto before = w.authy->paths.size();
            auto r = w.logins->verify(v->id, "0000000");
            checks += static_cast<int>(w.authy->paths.size() - before);
            w.now += 1;
            if (!r.ok()) {
                CHECK(r.error().code == Exit::locked);
            }
        }
        w.now += 20; // past any back-off
    }
    CHECK(checks == 7);
    auto u = w.store->find_user(w.user.email).value().value();
    CHECK(u.code_failures == 7);
    CHECK(u.code_locked_until == k_locked_for_good);
    for (Via via : {Via::sms, Via::call, Via::token, Via::onetouch}) {
        CHECK(w.logins->start(u, via).error().code == Exit::locked);
    }
    REQUIRE(unlock_user(*w.store, w.user.email, w.now).ok());
    auto v = w.logins->start(w.user, Via::token).value();
    CHECK(w.logins->verify(v.id, "1234567").value().accepted);
}

TEST_CASE("a locked user's pending push is denied, and a skipped factor keeps the count") {
    World w;
    auto s = w.push_session("0b8f3a55-1c65-4133-9113-34363b620e52", w.now);
    auto u = w.store->find_user(w.user.email).value().value();
    u.code_failures = 10;
    u.code_locked_until = k_locked_for_good;
    REQUIRE(w.store->update_user(u).ok());
    PushResult cb{"authy", w.user.provider_user, s.challenge, PushState::approved};
    REQUIRE(w.logins->apply_callbacks({cb}).ok());
    CHECK(w.store->find_session(s.id_hash).value()->status == SessionState::denied);

    REQUIRE(unlock_user(*w.store, w.user.email, w.now).ok());
    u = w.store->find_user(w.user.email).value().value();
    u.code_failures = 3;
    REQUIRE(w.store->update_user(u).ok());
    LoginPolicy p;
    p.failmode_safe = true;
    w.set_policy(p);
    auto v = w.logins->start(w.user, Via::sms).value();
    w.authy->fail_status = 503;
    REQUIRE(w.logins->verify(v.id, "0000000").value().view.failed_open);
    CHECK(w.store->find_user(w.user.email).value()->code_failures == 3);
}

TEST_CASE("a check whose process died gives its attempt back when the lease lapses") {
    World w;
    auto v = w.logins->start(w.user, Via::sms).value();
    auto hash = hash_session_id(v.id);
    auto s = w.store->find_session(hash).value().value();
    s.attempts = 5; // five checks out at the provider, their processes killed
    s.checks_in_flight = 5;
    s.lease_until = w.now + 40;
    REQUIRE(w.store->update_session(s).ok());
    CHECK(w.logins->verify(v.id, "1234567").error().code == Exit::locked);
    w.now += 40;
    CHECK(w.logins->status(v.id).value().attempts_left == 5);
    CHECK(w.logins->verify(v.id, "1234567").value().accepted);
}

TEST_CASE("an approved login does not check, nor accept, another code") {
    World w;
    auto v = w.logins->start(w.user, Via::token).value();
    REQUIRE(w.logins->verify(v.id, "1234567").value().accepted);
    auto before = w.authy->paths.size();
    CHECK(w.logins->verify(v.id, "9999999").error().code == Exit::conflict);
    CHECK(w.authy->paths.size() == before);
}

TEST_CASE("two sessions of one user are independent and the user mirrors the latest") {
    World w;
    auto a = w.logins->start(w.user, Via::token).value();
    auto b = w.logins->start(w.user, Via::token).value();
    CHECK(a.id != b.id);
    REQUIRE(w.logins->verify(a.id, "1234567").value().accepted);
    CHECK(w.logins->status(a.id).value().state == SessionState::approved);
    CHECK(w.logins->status(b.id).value().state == SessionState::token);
    CHECK(w.user_status() == "token"); // a is not the latest
    REQUIRE(w.logins->logout(b.id).ok());
    CHECK(w.logins->status(a.id).value().state == SessionState::approved);
    CHECK(w.user_status() == "unverified");
    CHECK(w.logins->logout(b.id).error().code == Exit::not_found);
    CHECK(w.logins->status(new_session_id()).error().code == Exit::not_found);
}

TEST_CASE("a push result moves its session, and the user only when it is the user's latest") {
    World w;
    auto older = w.push_session("0b8f3a55-1c65-4133-9113-34363b620e01", w.now - 1);
    auto newer = w.push_session("0b8f3a55-1c65-4133-9113-34363b620e02", w.now);
    auto target = w.store->find_push_target("authy", older.challenge).value().value();
    CHECK(target.session.id == older.id);
    CHECK(target.latest_session_id == newer.id);
    CHECK(target.user.value().id == w.user.id);

    PushResult approve_older{"authy", w.user.provider_user, older.challenge, PushState::approved};
    CHECK(w.logins->apply_callbacks({approve_older}).value().at(0) == CallbackOutcome::applied);
    CHECK(w.store->find_session(older.id_hash).value()->status == SessionState::approved);
    CHECK(w.user_status() != "approved"); // the older session is not the user's state
    PushResult deny_newer{"authy", w.user.provider_user, newer.challenge, PushState::denied};
    CHECK(w.logins->apply_callbacks({deny_newer}).value().at(0) == CallbackOutcome::applied);
    CHECK(w.user_status() == "denied");
    // Another provider's challenge of the same handle is not this session's.
    CHECK(!w.store->find_push_target("verify", newer.challenge).value().has_value());
}

TEST_CASE("passwords: same answer for unknown and wrong, back-off, then lock") {
    World w;
    auto unknown = w.logins->check_password("nobody@example.com", "whatever-password");
    auto wrong = w.logins->check_password(w.user.email, "whatever-password");
    CHECK(unknown.error().code == Exit::denied);
    CHECK(unknown.error().text() == wrong.error().text());
    CHECK(w.logins->check_password(w.user.email, "another-wrong-one").error().code ==
          Exit::denied); // 2 failures: still free
    CHECK(w.logins->check_password(w.user.email, "third-wrong-one").error().code == Exit::denied);
    auto backing_off = w.logins->check_password(w.user.email, "correct horse battery staple");
    CHECK(backing_off.error().code == Exit::locked); // even the right password must wait
    w.now += 1;
    REQUIRE(w.logins->check_password(w.user.email, "correct horse battery staple").ok());
    auto fresh = w.store->find_user(w.user.email).value().value();
    CHECK(fresh.failed_logins == 0);
    for (int i = 0; i < w.policy.throttle.lock_after_password_failures; ++i) {
        w.now += 3600;
        (void)w.logins->check_password(w.user.email, "wrong-again-and-again");
    }
    w.now += 86400;
    auto locked = w.logins->check_password(w.user.email, "correct horse battery staple");
    CHECK(locked.error().code == Exit::locked);
    CHECK(locked.error().cause == Cause::user_locked); // the front end words the hint
    CHECK(locked.error().subject == w.user.email);
    CHECK(locked.error().hint.find("twofa") == std::string::npos);
}

TEST_CASE("a werkzeug hash from the tutorial app is replaced by Argon2id at login") {
    World w;
    UserRecord u = w.store->find_user(w.user.email).value().value();
    // Python: hashlib.pbkdf2_hmac("sha256", password, b"tutorial", 1000).hex()
    u.password_hash = "pbkdf2:sha256:1000$tutorial$"
                      "6ef62fcd7a6fd0a35ae29b2886900791cb3664bf8ea346f70c4f8121331391e7";
    REQUIRE(w.store->update_user(u).ok());
    REQUIRE(w.logins->check_password(w.user.email, "correct horse battery staple").ok());
    auto stored = w.store->find_user(w.user.email).value().value().password_hash;
    CHECK(stored.rfind("$argon2id$", 0) == 0);
    CHECK(verify_password("correct horse battery staple", stored));
}

TEST_CASE("verify and sms replies: only 200 with \"token\":\"is valid\" is valid") {
    auto resp = [](long status, const char* body) {
        HttpResponse r;
        r.status = status;
        r.body = body;
        return r;
    };
    CHECK(authy::decode_verify(resp(200, k_valid)).value() == authy::TokenVerdict::valid);
    CHECK(authy::decode_verify(resp(200, R"({"token":"is valid","success":true})")).value() ==
          authy::TokenVerdict::valid);
    CHECK(authy::decode_verify(resp(401, k_invalid)).value() == authy::TokenVerdict::invalid);
    CHECK(authy::decode_verify(resp(401, authy::token_invalid_body(true).c_str())).value() ==
          authy::TokenVerdict::reused);
    // Fail closed: 200 without the exact field, or a 401 for another reason.
    CHECK(authy::decode_verify(resp(200, R"({"success":true})")).error().code == Exit::unavailable);
    CHECK(authy::decode_verify(resp(200, R"({"token":"is invalid"})")).error().code ==
          Exit::unavailable);
    CHECK(authy::decode_verify(resp(200, "not json")).error().code == Exit::unavailable);
    // success and the token text together; a key given twice is never read either way.
    CHECK(authy::decode_verify(resp(200, R"({"token":"is valid"})")).error().code ==
          Exit::unavailable);
    CHECK(authy::decode_verify(resp(200, R"({"token":"is valid","success":false})")).error().code ==
          Exit::unavailable);
    CHECK(authy::decode_verify(resp(200, R"({"token":"x","token":"is valid","success":true})"))
              .error()
              .code == Exit::unavailable);
    CHECK(
        authy::decode_verify(resp(200, R"({"token":"is valid","success":true,"d":{"a":1,"a":2}})"))
            .error()
            .code == Exit::unavailable);
    CHECK_FALSE(authy::decode_verify(resp(200, "not json")).error().unreachable);
    CHECK(authy::decode_verify(resp(503, "")).error().unreachable);
    CHECK(authy::decode_verify(resp(401, R"({"error_code":"60001","message":"Invalid API key"})"))
              .error()
              .code == Exit::rejected);
    auto ignored = authy::decode_code_sent(
        resp(200, authy::code_ignored_body(false, "+1-XXX-XXX-0000").c_str()));
    CHECK(ignored.value().ignored);
    CHECK_FALSE(authy::decode_code_sent(resp(200, k_sms)).value().ignored);
    CHECK(authy::decode_code_sent(resp(200, R"({"success":false})")).error().code ==
          Exit::unavailable);
}
