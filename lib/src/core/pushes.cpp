// Login sessions, the push half: reading a waiting session, asking the provider, switching to
// a code, and applying callbacks (then publishing the change to waiting logins).
#include <twofa/login.hpp>

#include "core/session_ops.hpp"

#include <algorithm>

namespace twofa {

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
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    TRY_ASSIGN(auto s, m_store.find_session(hash));
    if (!s) {
        return cause(make_error(Exit::not_found, "no such login session", "log in again"),
                     Cause::no_such_session);
    }
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    SessionView view;
    view.record = *s;
    view.user.id = s->user_id;
    return ops.view_of(std::move(view));
}

Result<SessionView> Logins::refresh_approval(const std::string& session_id) {
    // The session as stored, even when overdue: the provider decides whether the push was
    // answered in time (it refuses answers after its own expiry).
    TRY_ASSIGN(auto current, peek(session_id));
    if (current.state != SessionState::onetouch) {
        return status(session_id);
    }
    TRY_ASSIGN(SecondFactor * provider, m_provider(current.record.provider));
    auto remote = provider->poll(Challenge{Channel::push, current.record.challenge});
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    const std::string& hash = current.record.id_hash;
    detail::Loaded loaded;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash, false));
        if (loaded.session.status != SessionState::onetouch || !remote.ok() ||
            *remote == PushState::pending) {
            TRY(ops.expire_if_due(loaded)); // a callback got there first, or no answer yet
            return {};
        }
        auto to = *remote == PushState::approved ? SessionState::approved
                  : *remote == PushState::denied ? SessionState::denied
                                                 : SessionState::expired;
        if (to == SessionState::approved && ops.user_refusal(loaded.user)) {
            to = SessionState::denied; // the user's lock holds for pushes too
        }
        TRY(ops.change(loaded, to));
        return ops.audit("onetouch.poll", loaded.user.email, hash, to_string(*remote));
    }));
    TRY(remote);
    return ops.view_of(loaded);
}

Result<SessionView> Logins::switch_to_code(const std::string& session_id, Via via) {
    if (via != Via::token) {
        return resend(session_id, via == Via::call ? Via::call : Via::sms);
    }
    TRY_ASSIGN(const std::string hash, detail::session_hash(session_id));
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    detail::Loaded loaded;
    std::optional<Error> refusal;
    TRY(m_store.transaction([&]() -> Status {
        TRY_ASSIGN(loaded, ops.load(hash));
        auto state = loaded.session.status;
        if (state != SessionState::onetouch && state != SessionState::sms) {
            refusal = ops.refusal_for(state);
            return {};
        }
        loaded.session.method = Channel::app_code;
        loaded.session.expires_at = ops.now + m_policy.pending_ttl;
        return ops.change(loaded, SessionState::token);
    }));
    if (refusal) {
        return *refusal;
    }
    return ops.view_of(loaded);
}

Result<std::vector<CallbackOutcome>>
Logins::apply_callbacks(const std::vector<PushResult>& results) {
    detail::SessionOps ops{m_store, m_policy, m_clock()};
    std::vector<CallbackOutcome> out;
    TRY(m_store.transaction([&]() -> Status {
        out.clear();
        for (const auto& r : results) {
            TRY_ASSIGN(auto outcome, ops.apply_callback(r));
            out.push_back(outcome);
        }
        return {};
    }));
    if (std::find(out.begin(), out.end(), CallbackOutcome::applied) != out.end()) {
        m_store.publish_change(); // after the commit: a woken login reads the new state
    }
    return out;
}

Result<std::unique_ptr<ChangeWaiter>> Logins::watch_changes() {
    return m_store.subscribe();
}

} // namespace twofa
