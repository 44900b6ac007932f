#pragma once
// Building blocks of lib/src/login.cpp: loading a session with its user, moving it through
// the state machine while mirroring the user's status, and the provider calls around them.
#include <twofa/login.hpp>

#include <functional>
#include <optional>
#include <type_traits>

namespace twofa::detail {

// The value of a Result, or throws its Error as a Failure (caught by Logins' public functions).
template <class T>
requires(!std::is_void_v<T>) T must(Result<T>&& r) {
    if (!r.ok()) {
        throw Failure(r.error());
    }
    return std::move(*r);
}
inline void must(const Status& s) {
    if (!s.ok()) {
        throw Failure(s.error());
    }
}

// Runs fn and turns a thrown Failure into the Result's error (the boundary of each public
// function of Logins).
template <class F> auto guard(F&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const Failure& f) {
        return f.error();
    }
}

struct Loaded {
    SessionRecord session;
    UserRecord user;
};

struct SessionOps {
    Store& store;
    const LoginPolicy& policy;
    std::int64_t now;

    // Inside a transaction: the session with this id hash and its user (Exit::not_found
    // when there is none), marked expired first when it is overdue.
    Loaded load(const std::string& id_hash);
    // Marks an overdue pending or approved session expired; true when it did.
    bool expire_if_due(Loaded& loaded);
    // Gives back the attempts of code checks whose lease lapsed (their process died before
    // the provider answered); true when it wrote the session.
    bool lapse_leases(Loaded& loaded);
    // The refusal while the user's second factor is locked or backing off, else nullopt.
    std::optional<Error> user_refusal(const UserRecord& user) const;
    // Inside a transaction: one more wrong code for the user, across sessions; backs off or
    // locks the user (audited). True when this failure locked the user.
    bool count_code_failure(std::int64_t user_id, const std::string& id_hash);
    // Moves the session to `to` (which must be allowed by can_transition), writes it and
    // mirrors the user's status. Approval starts the approved lifetime, and, when the second
    // factor was shown (not skipped by failmode = safe), clears the user's wrong-code count.
    void change(Loaded& loaded, SessionState to, bool factor_shown = true);
    // Writes the session's status to its user when it is the user's latest session; the user.
    UserRecord mirror(std::int64_t user_id, const SessionRecord& session);

    // The error that reports a session that is no longer waiting for a code.
    Error refusal_for(SessionState state) const;
    // Fills state and attempts_left from the record.
    SessionView view_of(SessionView view) const;
    SessionView view_of(const Loaded& loaded) const;

    // Starts the second factor for a new session: fills method, status, expiry and
    // approval_uuid / sends. auto asks Authy whether the user has the app. The masked phone a
    // code went to, or "".
    Result<std::string> deliver(const ProviderGetter& provider, const UserRecord& user, Via via,
                                SessionRecord& session);
    // Inside a transaction: one callback's effect (see Logins::apply_callbacks), audited.
    CallbackOutcome apply_callback(const authy::Callback& callback);

    // Asks Authy to send the code; the masked phone it went to.
    Result<std::string> send_code(const ProviderGetter& provider, const UserRecord& user,
                                  bool voice);
    Result<authy::TokenVerdict> provider_verify(const ProviderGetter& provider,
                                                const UserRecord& user, const std::string& code);
    // failmode = safe and the provider is unreachable: the login goes through (logged).
    bool may_fail_open(const Error& error) const;

    // A check that never reached a verdict does not count: gives the attempt back.
    void release_attempt(const std::string& id_hash, const Error& why);
    // A send that failed does not count: restores the counters from before it.
    void restore_send(const std::string& id_hash, const SessionRecord& before, const Error& why);
    // In a transaction: applies revert to the session (written when it returns true) and
    // audits the failure.
    void undo(const std::string& id_hash, const char* event, const Error& why,
              const std::function<bool(SessionRecord&)>& revert);
};

} // namespace twofa::detail
