// Login sessions: the password step, starting a session, logout and status. Codes are in
// login_codes.cpp, pushes in pushes.cpp.
#include <twofa/login.hpp>
#include <twofa/password.hpp>
#include <twofa/validate.hpp>

#include "core/session_ops.hpp"

namespace twofa {

Result<Via> parse_via(std::string_view name) {
    if (name == "auto") {
        return Via::automatic;
    }
    if (name == "onetouch") {
        return Via::onetouch;
    }
    if (name == "sms") {
        return Via::sms;
    }
    if (name == "call") {
        return Via::call;
    }
    if (name == "token") {
        return Via::token;
    }
    if (name == "email") {
        return Via::email;
    }
    return make_error(Exit::usage, "unknown way to send the code '" + strip_control(name) + "'",
                      "use auto, onetouch, sms, call, email or token");
}

Logins::Logins(Store& store, ProviderGetter provider, LoginPolicy policy, Clock clock)
    : m_store(store), m_provider(std::move(provider)), m_policy(std::move(policy)),
      m_clock(std::move(clock)) {}

namespace {

Error wrong_credentials() {
    return make_error(Exit::denied, "wrong email or password", "check both and try again");
}

// The refusal before the password is even checked: the account is locked or backing off.
std::optional<Error> password_refusal(const ThrottlePolicy& p, const UserRecord& u,
                                      std::int64_t now) {
    if (password_locks(p, u.failed_logins)) {
        return cause(make_error(Exit::locked, "the account is locked after repeated failed logins",
                                "an administrator must unlock " + u.email),
                     Cause::user_locked, u.email);
    }
    if (u.locked_until > now) {
        return make_error(Exit::locked, "too many failed logins",
                          "wait " + std::to_string(u.locked_until - now) + " s and try again");
    }
    return std::nullopt;
}

} // namespace

Result<UserRecord> Logins::check_password(const std::string& email, const std::string& password) {
    const std::int64_t now = m_clock();
    detail::SessionOps ops{m_store, m_policy, now};
    TRY_ASSIGN(auto found, m_store.find_user(email));
    std::string who = found ? found->email : strip_control(email).substr(0, 254);
    if (!found || found->password_hash.empty()) {
        burn_password_check(password);
        TRY(ops.audit("login.password", who, "", "denied", "unknown user"));
        return wrong_credentials();
    }
    if (auto refusal = password_refusal(m_policy.throttle, *found, now)) {
        burn_password_check(password);
        TRY(ops.audit("login.password", who, "", "locked",
                      refusal->cause == Cause::user_locked ? "account locked" : "backing off"));
        return *refusal;
    }
    bool ok = verify_password(password, found->password_hash);
    std::string new_hash;
    if (ok && password_needs_rehash(found->password_hash)) {
        TRY_ASSIGN(new_hash, hash_password(password));
    }
    UserRecord u;
    TRY(m_store.transaction([&]() -> Status {
        // Fresh counters: another process may have failed in the meantime.
        TRY_ASSIGN(auto fresh, m_store.find_user_by_id(found->id));
        u = fresh.value_or(*found);
        u.updated_at = now;
        std::string detail;
        if (ok) {
            u.failed_logins = 0;
            u.locked_until = 0;
            if (!new_hash.empty()) {
                u.password_hash = new_hash;
                detail = "password re-hashed with Argon2id";
            }
        } else {
            u.failed_logins += 1;
            std::int64_t delay = password_backoff(m_policy.throttle, u.failed_logins);
            u.locked_until = delay > 0 ? now + delay : 0;
            if (password_locks(m_policy.throttle, u.failed_logins)) {
                u.status = SessionState::locked;
                detail = "account locked";
            }
        }
        TRY(m_store.update_user(u));
        return ops.audit("login.password", u.email, "", ok ? "ok" : "denied", detail);
    }));
    if (!ok) {
        return wrong_credentials();
    }
    return u;
}

Result<SessionView> Logins::start(const UserRecord& user, Via via, const PushDetails& extra) {
    const std::int64_t now = m_clock();
    detail::SessionOps ops{m_store, m_policy, now};
    TRY_ASSIGN(auto fresh, m_store.find_user_by_id(user.id));
    if (auto locked = fresh ? ops.user_refusal(*fresh) : std::nullopt) {
        TRY(ops.audit("login.start", user.email, "", "refused", locked->message));
        return *locked;
    }
    SessionView view;
    view.id = new_session_id();
    SessionRecord& s = view.record;
    s.id_hash = hash_session_id(view.id);
    s.user_id = user.id;
    s.created_at = now;
    s.updated_at = now;
    auto delivered = ops.deliver(m_provider, user, via, s, extra);
    if (!delivered.ok()) {
        if (!ops.may_fail_open(delivered.error())) {
            TRY(ops.audit("login.start", user.email, s.id_hash, "failed",
                          delivered.error().message));
            return delivered.error();
        }
        view.failed_open = true;
        s.status = SessionState::approved;
        s.expires_at = now + m_policy.approved_ttl;
        s.sends = 0;
    } else {
        view.sent_to = *delivered;
    }
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(s.id, m_store.insert_session(s));
        TRY_ASSIGN(view.user, ops.mirror(user.id, s));
        TRY(ops.audit("login.start", user.email, s.id_hash, "ok", to_string(s.method)));
        if (view.failed_open) {
            return ops.audit("failmode.safe", user.email, s.id_hash, "allowed",
                             "provider unreachable; second factor skipped");
        }
        if (s.sends > 0) {
            return ops.audit("code.send", user.email, s.id_hash, "ok", to_string(s.method));
        }
        if (!s.challenge.empty()) {
            return ops.audit("onetouch.send", user.email, s.id_hash, "ok",
                             "challenge=" + s.challenge);
        }
        return {};
    }));
    return ops.view_of(std::move(view));
}

Result<SessionView> Logins::logout(const std::string& session_id) {
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    detail::Loaded loaded;
    bool already = false;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash));
        already = loaded.session.status == SessionState::unverified;
        if (already) {
            return {};
        }
        TRY(ops.change(loaded, SessionState::unverified));
        return ops.audit("logout", loaded.user.email, hash, "ok");
    }));
    if (already) {
        return cause(
            make_error(Exit::not_found, "that login session has already ended", "log in again"),
            Cause::login_over);
    }
    return ops.view_of(loaded);
}

Result<SessionView> Logins::status(const std::string& session_id) {
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    // Most looks change nothing: read without a transaction, so a busy writer (a listener) never
    // delays them. Only a session due to expire, or to give back a lapsed check, is loaded
    // again and changed in a write transaction.
    TRY_ASSIGN(detail::Loaded loaded, ops.peek(hash));
    if (ops.due_for_change(loaded)) {
        TRY(m_store.transaction([&]() -> Status {
            TRY_ASSIGN(loaded, ops.load(hash));
            return {};
        }));
    }
    return ops.view_of(loaded);
}

Result<SessionView> Logins::user_status(const std::string& email) {
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    SessionView view;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(auto user, m_store.find_user(email));
        if (!user) {
            return make_error(Exit::not_found, "no user " + strip_control(email),
                              "check the email against the enrolled users");
        }
        view.user = *user;
        TRY_ASSIGN(auto latest, m_store.latest_session(user->id));
        if (latest) {
            detail::Loaded loaded{*latest, *user, latest->id};
            TRY(ops.expire_if_due(loaded));
            view.record = loaded.session;
            view.user = loaded.user;
        }
        return {};
    }));
    if (view.record.id == 0) {
        // No login yet: the user's own status (unverified, or locked by failed passwords).
        view.state = view.user.status;
        return view;
    }
    return ops.view_of(std::move(view));
}

Status Logins::each_user_status(const Store::UserVisitor& fn) {
    const std::int64_t now = m_clock();
    return m_store.each_user(true, [&](UserRecord&& u, std::optional<SessionRecord>&& latest) {
        if (latest) {
            // Reported as the next read would find it; nothing is written here.
            if ((is_pending(latest->status) || latest->status == SessionState::approved) &&
                now >= latest->expires_at) {
                latest->status = SessionState::expired;
            }
            if (u.status != SessionState::locked) {
                u.status = latest->status;
            }
        }
        return fn(std::move(u), std::move(latest));
    });
}

Result<std::vector<AuditCount>> Logins::audit_counts(std::int64_t since) {
    return m_store.audit_counts(since);
}

} // namespace twofa
