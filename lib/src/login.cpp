// Login sessions. Inside this file a failing step throws Failure (via must()) to keep the
// flows readable; every public function catches it at its boundary and returns a Result.
#include <twofa/login.hpp>
#include <twofa/password.hpp>
#include <twofa/validate.hpp>

#include "session_ops.hpp"

namespace twofa {

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

// Runs fn and turns a thrown Failure into the Result's error.
template <class F> auto guard(F&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const Failure& f) {
        return f.error();
    }
}

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

Result<CodeCheck> Logins::verify(const std::string& session_id, const std::string& code) {
    return guard([&]() -> Result<CodeCheck> {
        must(validate_code(code));
        must(validate_session_id(session_id));
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        const std::string hash = hash_session_id(session_id);
        // 1. Take an attempt (with a lease) before asking the provider, in the transaction
        //    that checks the session's and the user's limits.
        detail::Loaded loaded;
        std::optional<Error> refusal;
        int ticket = 0; // which of the allowed attempts this check holds
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            refusal = reserve_check(ops, loaded, ticket);
            return {};
        }));
        if (refusal) {
            must(m_store.audit(
                {now, "code.check", loaded.user.email, hash, "refused", refusal->message}));
            return *refusal;
        }
        // 2. Ask the provider, outside any transaction.
        auto verdict = ops.provider_verify(m_provider, loaded.user, code);
        bool failed_open = !verdict.ok() && ops.may_fail_open(verdict.error());
        if (!verdict.ok() && !failed_open) {
            ops.release_attempt(hash, verdict.error());
            return verdict.error();
        }
        bool valid = verdict.ok() && *verdict == authy::TokenVerdict::valid;
        // 3. Record the outcome.
        CodeCheck out;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            out.user_locked = record_check(ops, loaded, valid, failed_open, ticket);
            if (failed_open) {
                must(m_store.audit({now, "failmode.safe", loaded.user.email, hash, "allowed",
                                    "provider unreachable (" + verdict.error().message +
                                        "); second factor skipped, code not checked"}));
            }
            std::string outcome = failed_open ? "skipped" : valid ? "ok" : "wrong";
            if (!valid && !failed_open && loaded.session.status == "locked") {
                outcome = "locked";
            }
            return m_store.audit({now, "code.check", loaded.user.email, hash, outcome,
                                  !valid && verdict.ok() && *verdict == authy::TokenVerdict::reused
                                      ? "code already used"
                                      : ""});
        }));
        out.view = ops.view_of(loaded);
        out.view.failed_open = failed_open;
        out.accepted = valid && out.view.state == SessionState::approved;
        return out;
    });
}

std::optional<Error> Logins::reserve_check(detail::SessionOps& ops, detail::Loaded& loaded,
                                           int& ticket) {
    auto& s = loaded.session;
    auto state = *parse_state(s.status);
    if (state == SessionState::approved) {
        return make_error(Exit::conflict,
                          "this login is already approved; the code was not checked",
                          "log out first to check a code for a new login");
    }
    if (!is_pending(state)) {
        return ops.refusal_for(state);
    }
    if (auto locked = ops.user_refusal(loaded.user)) {
        return locked;
    }
    if (s.attempts >= m_policy.throttle.max_code_attempts) {
        // Every attempt is taken (some may still be out at the provider): refuse, and let
        // the last one decide whether the session locks.
        return make_error(Exit::locked, "no attempts left for this login",
                          "log in again with twofa login");
    }
    s.attempts += 1;
    s.checks_in_flight += 1;
    s.lease_until = ops.now + m_policy.check_lease;
    s.updated_at = ops.now;
    ticket = s.attempts;
    must(m_store.update_session(s));
    return std::nullopt;
}

bool Logins::record_check(detail::SessionOps& ops, detail::Loaded& loaded, bool valid, bool skipped,
                          int ticket) {
    const bool approve = valid || skipped;
    auto& s = loaded.session;
    bool lease_live = s.checks_in_flight > 0;
    if (lease_live) {
        s.checks_in_flight -= 1; // the attempt stays taken: it is a wrong code now, or moot
    } else if (!approve) {
        s.attempts += 1; // its lease lapsed and gave the attempt back: take it again
    }
    auto state = *parse_state(s.status);
    if (approve && is_pending(state)) {
        ops.change(loaded, SessionState::approved, valid);
        return false;
    }
    if (approve) {
        must(m_store.update_session(s));
        return false;
    }
    if (is_pending(state) && ticket >= m_policy.throttle.max_code_attempts) {
        ops.change(loaded, SessionState::locked);
    } else {
        must(m_store.update_session(s));
    }
    bool locked = ops.count_code_failure(loaded.user.id, s.id_hash);
    if (auto fresh = must(m_store.find_user_by_id(loaded.user.id))) {
        loaded.user = *fresh;
    }
    return locked;
}

Result<SessionView> Logins::resend(const std::string& session_id, std::optional<Via> via) {
    return guard([&]() -> Result<SessionView> {
        if (via && *via != Via::sms && *via != Via::call) {
            return make_error(Exit::usage, "a code can be resent by sms or call only",
                              "use --via sms or --via call");
        }
        must(validate_session_id(session_id));
        const std::int64_t now = m_clock();
        detail::SessionOps ops{m_store, m_policy, now};
        const std::string hash = hash_session_id(session_id);
        detail::Loaded loaded;
        SessionRecord before;
        std::optional<Error> refusal;
        bool voice = false;
        must(m_store.transaction([&]() -> Status {
            loaded = ops.load(hash);
            auto& s = loaded.session;
            before = s;
            auto state = *parse_state(s.status);
            if (state == SessionState::approved) {
                return {}; // nothing to send
            }
            if (!is_pending(state)) {
                refusal = ops.refusal_for(state);
                return {};
            }
            auto decision = may_send(m_policy.throttle, s.sends, s.last_send_at, now);
            if (!decision.allowed) {
                refusal =
                    decision.wait < 0
                        ? make_error(Exit::locked,
                                     "no more codes for this login (" +
                                         std::to_string(m_policy.throttle.max_sends) + " sent)",
                                     "log in again with twofa login")
                        : make_error(Exit::locked, "a code was sent moments ago",
                                     "wait " + std::to_string(decision.wait) +
                                         " s before asking for another");
                return {};
            }
            voice = via ? *via == Via::call : s.method == "call";
            s.method = voice ? "call" : "sms";
            if (state == SessionState::onetouch) {
                s.expires_at = now + m_policy.pending_ttl; // a code gets a code's lifetime
            }
            if (state != SessionState::sms) {
                s.status = to_string(SessionState::sms);
            }
            s.sends += 1;
            s.last_send_at = now;
            s.updated_at = now;
            ops.mirror(loaded.user.id, s);
            return m_store.update_session(s);
        }));
        if (refusal) {
            must(m_store.audit(
                {now, "code.send", loaded.user.email, hash, "refused", refusal->message}));
            return *refusal;
        }
        if (loaded.session.status == to_string(SessionState::approved)) {
            return ops.view_of(loaded);
        }
        auto sent = ops.send_code(m_provider, loaded.user, voice);
        if (!sent.ok()) {
            ops.restore_send(hash, before, sent.error());
            return sent.error();
        }
        must(m_store.audit({now, "code.send", loaded.user.email, hash, "ok",
                            loaded.session.method + " (resend)"}));
        SessionView view = ops.view_of(loaded);
        view.sent_to = *sent;
        return view;
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
