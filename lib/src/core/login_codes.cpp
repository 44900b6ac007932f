// Login sessions, the code half: checking a code (an attempt leased per check, the session's
// and the user's limits) and sending one again.
#include <twofa/login.hpp>
#include <twofa/validate.hpp>

#include "core/session_ops.hpp"

namespace twofa {

Result<CodeCheck> Logins::verify(const std::string& session_id, const std::string& code) {
    TRY(validate_code(code));
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    // 1. Take an attempt (with a lease) before asking the provider, in the transaction
    //    that checks the session's and the user's limits.
    detail::Loaded loaded;
    std::optional<Error> refusal;
    int ticket = 0; // which of the allowed attempts this check holds
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash));
        TRY_ASSIGN(refusal, reserve_check(ops, loaded, ticket));
        return {};
    }));
    if (refusal) {
        TRY(ops.audit("code.check", loaded.user.email, hash, "refused", refusal->message));
        return *refusal;
    }
    // 2. Ask the provider, outside any transaction.
    auto verdict = m_provider(loaded.session.provider).and_then([&](SecondFactor* p) {
        return p->check(detail::recipient_of(loaded.user, loaded.session.provider_user),
                        Challenge{loaded.session.method, loaded.session.challenge}, code);
    });
    bool failed_open = !verdict.ok() && ops.may_fail_open(verdict.error());
    if (!verdict.ok() && !failed_open) {
        TRY(ops.release_attempt(hash, verdict.error()));
        return verdict.error();
    }
    const bool recovery = verdict.ok() && *verdict == CodeVerdict::recovery;
    bool valid = verdict.ok() && (*verdict == CodeVerdict::valid || recovery);
    // 3. Record the outcome.
    CodeCheck out;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash));
        TRY_ASSIGN(out.user_locked, record_check(ops, loaded, valid, failed_open, ticket));
        if (failed_open) {
            TRY(ops.audit("failmode.safe", loaded.user.email, hash, "allowed",
                          "provider unreachable (" + verdict.error().message +
                              "); second factor skipped, code not checked"));
        }
        std::string outcome = failed_open ? "skipped"
                              : recovery  ? "recovery"
                              : valid     ? "ok"
                                          : "wrong";
        if (!valid && !failed_open && loaded.session.status == SessionState::locked) {
            outcome = "locked";
        }
        bool reused = verdict.ok() && *verdict == CodeVerdict::reused;
        return ops.audit("code.check", loaded.user.email, hash, outcome,
                         reused     ? "code already used"
                         : recovery ? "recovery code used"
                                    : "");
    }));
    out.recovery = recovery;
    out.reused = verdict.ok() && *verdict == CodeVerdict::reused;
    out.view = ops.view_of(loaded);
    out.view.failed_open = failed_open;
    out.accepted = valid && out.view.state == SessionState::approved;
    return out;
}

Result<std::optional<Error>> Logins::reserve_check(detail::SessionOps& ops, detail::Loaded& loaded,
                                                   int& ticket) {
    auto& s = loaded.session;
    if (s.status == SessionState::approved) {
        return std::optional<Error>(
            make_error(Exit::conflict, "this login is already approved; the code was not checked",
                       "log out first to check a code for a new login"));
    }
    if (!is_pending(s.status)) {
        return std::optional<Error>(ops.refusal_for(s.status));
    }
    if (auto locked = ops.user_refusal(loaded.user)) {
        return locked;
    }
    if (s.attempts >= m_policy.throttle.max_code_attempts) {
        // Every attempt is taken (some may still be out at the provider): refuse, and let
        // the last one decide whether the session locks.
        return std::optional<Error>(
            cause(make_error(Exit::locked, "no attempts left for this login", "log in again"),
                  Cause::login_over));
    }
    s.attempts += 1;
    s.checks_in_flight += 1;
    s.lease_until = ops.now + m_policy.check_lease;
    s.updated_at = ops.now;
    ticket = s.attempts;
    TRY(m_store.update_session(s));
    return std::optional<Error>();
}

Result<bool> Logins::record_check(detail::SessionOps& ops, detail::Loaded& loaded, bool valid,
                                  bool skipped, int ticket) {
    const bool approve = valid || skipped;
    auto& s = loaded.session;
    if (s.checks_in_flight > 0) {
        s.checks_in_flight -= 1; // the attempt stays taken: it is a wrong code now, or moot
    } else if (!approve) {
        s.attempts += 1; // its lease lapsed and gave the attempt back: take it again
    }
    if (approve && is_pending(s.status)) {
        TRY(ops.change(loaded, SessionState::approved, valid));
        return false;
    }
    if (approve) {
        TRY(m_store.update_session(s));
        return false;
    }
    if (is_pending(s.status) && ticket >= m_policy.throttle.max_code_attempts) {
        TRY(ops.change(loaded, SessionState::locked));
    } else {
        TRY(m_store.update_session(s));
    }
    TRY_ASSIGN(bool locked, ops.count_code_failure(loaded.user.id, s.id_hash));
    TRY_ASSIGN(auto fresh, m_store.find_user_by_id(loaded.user.id));
    if (fresh) {
        loaded.user = *fresh;
    }
    return locked;
}

Result<std::optional<Error>> Logins::reserve_send(detail::SessionOps& ops, detail::Loaded& loaded,
                                                  std::optional<Via> via, Channel& channel) {
    auto& s = loaded.session;
    if (s.status == SessionState::approved) {
        return std::optional<Error>(); // nothing to send
    }
    if (!is_pending(s.status)) {
        return std::optional<Error>(ops.refusal_for(s.status));
    }
    auto decision = may_send(m_policy.throttle, s.sends, s.last_send_at, ops.now);
    if (!decision.allowed) {
        return std::optional<Error>(
            decision.wait < 0
                ? cause(make_error(Exit::locked,
                                   "no more codes for this login (" +
                                       std::to_string(m_policy.throttle.max_sends) + " sent)",
                                   "log in again"),
                        Cause::login_over)
                : make_error(Exit::locked, "a code was sent moments ago",
                             "wait " + std::to_string(decision.wait) +
                                 " s before asking for another"));
    }
    // The channel asked for, else the session's own code channel (sms after a push).
    channel = via                                                       ? detail::code_channel(*via)
              : s.method == Channel::call || s.method == Channel::email ? s.method
                                                                        : Channel::sms;
    s.method = channel;
    if (s.status == SessionState::onetouch) {
        s.expires_at = ops.now + m_policy.pending_ttl; // a code gets a code's lifetime
    }
    s.sends += 1;
    s.last_send_at = ops.now;
    if (s.status == SessionState::sms) {
        s.updated_at = ops.now;
        TRY(m_store.update_session(s)); // the counters only: no change of state
    } else {
        TRY(ops.change(loaded, SessionState::sms)); // writes the session, mirrors the user
    }
    return std::optional<Error>();
}

Result<SessionView> Logins::resend(const std::string& session_id, std::optional<Via> via) {
    if (via && *via != Via::sms && *via != Via::call && *via != Via::email) {
        return make_error(Exit::usage, "a code can be resent by sms, call or email only",
                          "choose sms, call or email");
    }
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    detail::Loaded loaded;
    SessionRecord before;
    std::optional<Error> refusal;
    Channel channel = Channel::sms;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash));
        TRY_ASSIGN(SecondFactor * p, m_provider(loaded.session.provider));
        if (!p->info().offers(Channel::sms)) {
            return make_error(Exit::usage,
                              p->info().display + " sends no codes: the code is in the app",
                              "enter the app's current code with twofa verify");
        }
        before = loaded.session;
        TRY_ASSIGN(refusal, reserve_send(ops, loaded, via, channel));
        return {};
    }));
    if (refusal) {
        TRY(ops.audit("code.send", loaded.user.email, hash, "refused", refusal->message));
        return *refusal;
    }
    if (loaded.session.status == SessionState::approved) {
        return ops.view_of(loaded);
    }
    auto sent = ops.send_code(m_provider, loaded.user, channel);
    if (!sent.ok()) {
        TRY(ops.restore_send(hash, before, sent.error()));
        return sent.error();
    }
    TRY(ops.audit("code.send", loaded.user.email, hash, "ok",
                  std::string(to_string(loaded.session.method)) + " (resend)"));
    SessionView view = ops.view_of(loaded);
    view.sent_to = *sent;
    return view;
}

} // namespace twofa
