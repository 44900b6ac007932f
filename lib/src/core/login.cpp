// Login sessions. Inside this file a failing step throws Failure (via must()) to keep the
// flows readable; every public function catches it at its boundary and returns a Result.
#include <twofa/login.hpp>
#include <twofa/password.hpp>
#include <twofa/validate.hpp>

#include "core/session_ops.hpp"

namespace twofa {

using detail::guard;
using detail::must;

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
    return make_error(Exit::usage, "unknown way to send the code '" + strip_control(name) + "'",
                      "use auto, onetouch, sms, call or token");
}

Logins::Logins(Store& store, ProviderGetter provider, LoginPolicy policy, Clock clock)
    : m_store(store), m_provider(std::move(provider)), m_policy(std::move(policy)),
      m_clock(std::move(clock)) {}

namespace {

Error wrong_credentials() {
    return make_error(Exit::denied, "wrong email or password", "check both and try again");
}

} // namespace

Result<UserRecord> Logins::check_password(const std::string& email, const std::string& password) {
    return guard([&]() -> Result<UserRecord> {
        const std::int64_t now = m_clock();
        auto found = must(m_store.find_user(email));
        std::string who = found ? found->email : strip_control(email).substr(0, 254);
        if (!found || found->password_hash.empty()) {
            burn_password_check(password);
            must(m_store.audit({now, "login.password", who, "", "denied", "unknown user"}));
            return wrong_credentials();
        }
        if (password_locks(m_policy.throttle, found->failed_logins)) {
            burn_password_check(password);
            must(m_store.audit({now, "login.password", who, "", "locked", "account locked"}));
            return make_error(Exit::locked, "the account is locked after repeated failed logins",
                              "ask an administrator to run: twofa user unlock " + who);
        }
        if (found->locked_until > now) {
            burn_password_check(password);
            std::int64_t wait = found->locked_until - now;
            must(m_store.audit({now, "login.password", who, "", "locked", "backing off"}));
            return make_error(Exit::locked, "too many failed logins",
                              "wait " + std::to_string(wait) + " s and try again");
        }
        bool ok = verify_password(password, found->password_hash);
        std::string new_hash;
        if (ok && password_needs_rehash(found->password_hash)) {
            new_hash = must(hash_password(password));
        }
        UserRecord u;
        must(m_store.transaction([&]() -> Status {
            // Fresh counters: another process may have failed in the meantime.
            u = must(m_store.find_user_by_id(found->id)).value_or(*found);
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
                    u.status = to_string(SessionState::locked);
                    detail = "account locked";
                }
            }
            must(m_store.update_user(u));
            return m_store.audit(
                {now, "login.password", u.email, "", ok ? "ok" : "denied", detail});
        }));
        if (!ok) {
            return wrong_credentials();
        }
        return u;
    });
}

Result<SessionView> Logins::start(const UserRecord& user, Via via) {
    return guard([&]() -> Result<SessionView> {
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        if (auto fresh = must(m_store.find_user_by_id(user.id))) {
            if (auto locked = ops.user_refusal(*fresh)) {
                must(m_store.audit(
                    {now, "login.start", user.email, "", "refused", locked->message}));
                return *locked;
            }
        }
        SessionView view;
        view.id = new_session_id();
        SessionRecord& s = view.record;
        s.id_hash = hash_session_id(view.id);
        s.user_id = user.id;
        s.created_at = now;
        s.updated_at = now;
        auto delivered = ops.deliver(m_provider, user, via, s);
        if (!delivered.ok()) {
            if (!ops.may_fail_open(delivered.error())) {
                must(m_store.audit({now, "login.start", user.email, s.id_hash, "failed",
                                    delivered.error().message}));
                return delivered.error();
            }
            view.failed_open = true;
            s.method = s.method.empty() ? "sms" : s.method;
            s.status = to_string(SessionState::approved);
            s.expires_at = now + m_policy.approved_ttl;
            s.sends = 0;
        } else {
            view.sent_to = *delivered;
        }
        must(m_store.transaction([&]() -> Status {
            s.id = must(m_store.insert_session(s));
            view.user = ops.mirror(user.id, s);
            must(m_store.audit({now, "login.start", user.email, s.id_hash, "ok", s.method}));
            if (view.failed_open) {
                return m_store.audit({now, "failmode.safe", user.email, s.id_hash, "allowed",
                                      "provider unreachable; second factor skipped"});
            }
            if (s.sends > 0) {
                return m_store.audit({now, "code.send", user.email, s.id_hash, "ok", s.method});
            }
            if (!s.approval_uuid.empty()) {
                return m_store.audit(
                    {now, "onetouch.send", user.email, s.id_hash, "ok", "uuid=" + s.approval_uuid});
            }
            return {};
        }));
        return ops.view_of(std::move(view));
    });
}

Result<SessionView> Logins::logout(const std::string& session_id) {
    return guard([&]() -> Result<SessionView> {
        must(validate_session_id(session_id));
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        const std::string hash = hash_session_id(session_id);
        detail::Loaded loaded;
        bool already = false;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            already = loaded.session.status == to_string(SessionState::unverified);
            if (already) {
                return {};
            }
            ops.change(loaded, SessionState::unverified);
            return m_store.audit({now, "logout", loaded.user.email, hash, "ok", ""});
        }));
        if (already) {
            return make_error(Exit::not_found, "that login session has already ended",
                              "log in again with twofa login");
        }
        return ops.view_of(loaded);
    });
}

Result<SessionView> Logins::status(const std::string& session_id) {
    return guard([&]() -> Result<SessionView> {
        must(validate_session_id(session_id));
        detail::SessionOps ops{m_store, m_policy, m_clock()};
        detail::Loaded loaded;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash_session_id(session_id));
            return {};
        }));
        return ops.view_of(loaded);
    });
}

Result<SessionView> Logins::user_status(const std::string& email) {
    return guard([&]() -> Result<SessionView> {
        detail::SessionOps ops{m_store, m_policy, m_clock()};
        SessionView view;
        must(m_store.transaction([&]() -> Status {
            auto user = must(m_store.find_user(email));
            if (!user) {
                return make_error(Exit::not_found, "no user " + strip_control(email),
                                  "run twofa user list");
            }
            view.user = *user;
            if (auto latest = must(m_store.latest_session(user->id))) {
                detail::Loaded loaded{*latest, *user};
                ops.expire_if_due(loaded);
                view.record = loaded.session;
                view.user = loaded.user;
            }
            return {};
        }));
        if (view.record.id == 0) {
            // No login yet: the user's own status (unverified, or locked by failed passwords).
            view.state = parse_state(view.user.status).value_or(SessionState::unverified);
            return view;
        }
        return ops.view_of(std::move(view));
    });
}

Result<StatusSummary> Logins::summary(std::int64_t since) {
    return guard([&]() -> Result<StatusSummary> {
        StatusSummary out;
        const std::int64_t now = m_clock();
        for (auto& u : must(m_store.list_users())) {
            auto latest = must(m_store.latest_session(u.id));
            if (latest) {
                // Reported as the next read would find it; nothing is written here.
                auto state = parse_state(latest->status).value_or(SessionState::unverified);
                if ((is_pending(state) || state == SessionState::approved) &&
                    now >= latest->expires_at) {
                    latest->status = to_string(SessionState::expired);
                }
                if (u.status != to_string(SessionState::locked)) {
                    u.status = latest->status;
                }
            }
            out.users.emplace_back(std::move(u), std::move(latest));
        }
        out.audit = must(m_store.audit_counts(since));
        return out;
    });
}

const char* to_string(CallbackOutcome outcome) noexcept {
    switch (outcome) {
    case CallbackOutcome::applied:
        return "applied";
    case CallbackOutcome::repeat:
        return "repeat";
    case CallbackOutcome::unknown:
        return "unknown-request";
    case CallbackOutcome::mismatch:
        return "user-mismatch";
    case CallbackOutcome::not_pending:
        return "not-pending";
    case CallbackOutcome::test:
        return "dashboard-test";
    }
    return "unknown-request";
}

Result<SessionView> Logins::peek(const std::string& session_id) {
    return guard([&]() -> Result<SessionView> {
        must(validate_session_id(session_id));
        auto s = must(m_store.find_session(hash_session_id(session_id)));
        if (!s) {
            return make_error(Exit::not_found, "no such login session", "log in with twofa login");
        }
        detail::SessionOps ops{m_store, m_policy, m_clock()};
        SessionView view;
        view.record = *s;
        view.user.id = s->user_id;
        return ops.view_of(std::move(view));
    });
}

Result<SessionView> Logins::refresh_approval(const std::string& session_id) {
    return guard([&]() -> Result<SessionView> {
        auto current = must(status(session_id));
        if (current.state != SessionState::onetouch) {
            return current;
        }
        auto client = must(m_provider());
        std::string remote = must(client->approval_status(current.record.approval_uuid));
        if (remote == "pending") {
            return current;
        }
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        const std::string hash = hash_session_id(session_id);
        detail::Loaded loaded;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            if (loaded.session.status != to_string(SessionState::onetouch)) {
                return {}; // a callback got there first
            }
            auto to = remote == "approved" ? SessionState::approved
                      : remote == "denied" ? SessionState::denied
                                           : SessionState::expired;
            if (to == SessionState::approved && ops.user_refusal(loaded.user)) {
                to = SessionState::denied; // the user's lock holds for pushes too
            }
            ops.change(loaded, to);
            return m_store.audit({now, "onetouch.poll", loaded.user.email, hash, remote, ""});
        }));
        return ops.view_of(loaded);
    });
}

Result<SessionView> Logins::switch_to_code(const std::string& session_id, Via via) {
    return guard([&]() -> Result<SessionView> {
        if (via != Via::token) {
            return resend(session_id, via == Via::call ? Via::call : Via::sms);
        }
        must(validate_session_id(session_id));
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        const std::string hash = hash_session_id(session_id);
        detail::Loaded loaded;
        std::optional<Error> refusal;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            auto state = *parse_state(loaded.session.status);
            if (state != SessionState::onetouch && state != SessionState::sms) {
                refusal = ops.refusal_for(state);
                return {};
            }
            loaded.session.method = "token";
            loaded.session.expires_at = now + m_policy.pending_ttl;
            ops.change(loaded, SessionState::token);
            return {};
        }));
        if (refusal) {
            return *refusal;
        }
        return ops.view_of(loaded);
    });
}

Result<std::vector<CallbackOutcome>>
Logins::apply_callbacks(const std::vector<authy::Callback>& callbacks) {
    return guard([&]() -> Result<std::vector<CallbackOutcome>> {
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        std::vector<CallbackOutcome> out;
        must(m_store.transaction([&]() -> Status {
            out.clear();
            for (const auto& cb : callbacks) {
                out.push_back(ops.apply_callback(cb));
            }
            return {};
        }));
        return out;
    });
}

} // namespace twofa
