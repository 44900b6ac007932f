// Login sessions, the code half: checking a code (an attempt leased per check, the session's
// and the user's limits) and sending one again. Failures throw Failure inside, like
// login.cpp; each public function catches at its boundary.
#include <twofa/login.hpp>
#include <twofa/validate.hpp>

#include "core/session_ops.hpp"

namespace twofa {

using detail::guard;
using detail::must;

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

} // namespace twofa
