#pragma once
// Building blocks of the session operations (login.cpp, login_codes.cpp, pushes.cpp): loading
// a session with its user, moving it through the state machine while mirroring the user's
// status, and the provider calls around them. Every step returns a Result (TRY chains them).
#include <twofa/login.hpp>

#include <functional>
#include <optional>

namespace twofa::detail {

// Whom a challenge is for: the user's contact details, and the provider's id for the user
// (by default the user's own; a session keeps the one it began with).
// The code channel of a way to send (sms, call, email; anything else is sms).
Channel code_channel(Via via);

Recipient recipient_of(const UserRecord& user, const std::string& provider_user = {});

struct Loaded {
    SessionRecord session;
    UserRecord user;
    // The id of the user's newest session when read with it (a push result), else looked up
    // when needed.
    std::optional<std::int64_t> latest_session_id;
};

// The hash of a well-formed session id (Exit::usage otherwise): what the store keys on.
Result<std::string> session_hash(const std::string& session_id);

struct SessionOps {
    Store& store;
    const LoginPolicy& policy;
    std::int64_t now;

    // Inside a transaction: the session with this id hash and its user (Exit::not_found
    // when there is none), marked expired first when it is overdue (unless expire is false:
    // a provider's answer about an overdue push may still count).
    Result<Loaded> load(const std::string& id_hash, bool expire = true);
    // The session and its user as stored, changing nothing (no transaction needed).
    Result<Loaded> peek(const std::string& id_hash);
    // True when load would change it: due to expire, or a check's lease has lapsed.
    bool due_for_change(const Loaded& loaded) const;
    // Marks an overdue pending or approved session expired; true when it did.
    Result<bool> expire_if_due(Loaded& loaded);
    // Gives back the attempts of code checks whose lease lapsed (their process died before
    // the provider answered).
    Status lapse_leases(Loaded& loaded);
    // The refusal while the user's second factor is locked or backing off, else nullopt.
    std::optional<Error> user_refusal(const UserRecord& user) const;
    // Inside a transaction: one more wrong code for the user, across sessions; backs off or
    // locks the user (audited). True when this failure locked the user.
    Result<bool> count_code_failure(std::int64_t user_id, const std::string& id_hash);
    // Moves the session to `to` (which must be allowed by can_transition), writes it and
    // mirrors the user's status. Approval starts the approved lifetime, and, when the second
    // factor was shown (not skipped by failmode = safe), clears the user's wrong-code count.
    Status change(Loaded& loaded, SessionState to, bool factor_shown = true);
    // change() for a session read in this transaction and not otherwise modified (a push
    // result): writes only the columns a change of state sets.
    Status change_state(Loaded& loaded, SessionState to);
    // change()'s halves: the new state and times in memory; then the user's mirror and its
    // wrong-code count.
    Status move_to(Loaded& loaded, SessionState to) const;
    Status after_change(Loaded& loaded, SessionState to, bool factor_shown);
    // Writes the session's status to its user when it is the user's latest session; the user.
    Result<UserRecord> mirror(std::int64_t user_id, const SessionRecord& session);
    // The same for a user read in this transaction (and the id of its newest session, when
    // that was read too).
    Result<UserRecord> mirror(UserRecord user, const SessionRecord& session,
                              std::optional<std::int64_t> latest_id = {});
    // Appends to the audit trail.
    Status audit(const char* event, const std::string& email, const std::string& id_hash,
                 const std::string& outcome, const std::string& detail = {});

    // The error that reports a session that is no longer waiting for a code.
    Error refusal_for(SessionState state) const;
    // Fills state and attempts_left from the record.
    SessionView view_of(SessionView view) const;
    SessionView view_of(const Loaded& loaded) const;

    // Starts the second factor for a new session: fills provider, method, status, expiry,
    // challenge and sends. auto asks the provider whether the user has the app. The masked
    // phone a code went to, or "".
    Result<std::string> deliver(const ProviderGetter& provider, const UserRecord& user, Via via,
                                SessionRecord& session, const PushDetails& extra = {});
    // Inside a transaction: one push result's effect (see Logins::apply_callbacks), audited.
    Result<CallbackOutcome> apply_callback(const PushResult& result);

    // Asks the provider to send the code; the masked phone it went to.
    Result<std::string> send_code(const ProviderGetter& provider, const UserRecord& user,
                                  Channel channel);
    // failmode = safe and the provider is unreachable: the login goes through (logged).
    bool may_fail_open(const Error& error) const;

    // A check that never reached a verdict does not count: gives the attempt back.
    Status release_attempt(const std::string& id_hash, const Error& why);
    // A send that failed does not count: restores the counters from before it.
    Status restore_send(const std::string& id_hash, const SessionRecord& before, const Error& why);
    // In a transaction: applies revert to the session (written when it returns true) and
    // audits the failure.
    Status undo(const std::string& id_hash, const char* event, const Error& why,
                const std::function<bool(SessionRecord&)>& revert);
};

} // namespace twofa::detail
