#pragma once
// Logging in: the password step, login sessions and their second factor (a push, or a code
// by SMS, voice call or the app) through the provider port, resends, logout and status.
// Every counter is checked and changed in one store transaction, so concurrent processes
// cannot race past a limit.
#include <twofa/provider.hpp>
#include <twofa/session.hpp>
#include <twofa/store.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace twofa {

namespace detail {
struct SessionOps;
struct Loaded;
} // namespace detail

// How the second factor is delivered. auto: a push when the provider says the user has the
// app, else SMS.
enum class Via { automatic, onetouch, sms, call, token, email };

// "auto", "onetouch", "sms", "call", "token", "email"; Exit::usage for anything else.
Result<Via> parse_via(std::string_view name);

struct LoginPolicy {
    ThrottlePolicy throttle;
    std::int64_t pending_ttl = 600;    // a login waiting for its second factor
    std::int64_t approved_ttl = 43200; // an approved login
    bool failmode_safe = false;        // provider unreachable: let the login through, logged
    std::string push_message = "Request to log in";
    int push_seconds = 120; // the push request's lifetime, sent explicitly
    // How long a code check may be out at the provider before its attempt is given back
    // (its process died): longer than the provider call can take with its retries.
    std::int64_t check_lease = 40;
};

// What a push callback did.
enum class CallbackOutcome {
    applied,     // the session moved to approved / denied
    repeat,      // it already had that result: nothing changed
    unknown,     // no session waits on that challenge
    mismatch,    // the session belongs to another provider user: nothing changed
    not_pending, // the session no longer waits for a push (expired, switched to a code, ...)
    test,        // the provider's test delivery: nothing looked up
};
const char* to_string(CallbackOutcome outcome) noexcept;

// Lines a push shows the user, name and value.
using PushDetails = std::vector<std::pair<std::string, std::string>>;

// Unix seconds; injectable so tests control time.
using Clock = std::function<std::int64_t()>;

// A session as the commands report it.
struct SessionView {
    std::string id;       // the session id: set only by start (it is never stored)
    SessionRecord record; // id_hash, method, status, counters, times
    UserRecord user;
    SessionState state = SessionState::unverified;
    int attempts_left = 0;
    std::string sent_to;      // masked phone a code was just sent to
    bool failed_open = false; // approved by failmode = safe, without a second factor
};

// The result of checking a code.
struct CodeCheck {
    SessionView view;
    bool accepted = false;    // the provider said the code is right (never set by failmode)
    bool user_locked = false; // this wrong code locked the user's second factor
    bool recovery = false;    // a single-use recovery code was accepted (and used up)
    bool reused = false;      // the code was right but its time step was used before
};

// Counts for `twofa status --all`.
class Logins {
  public:
    Logins(Store& store, ProviderGetter provider, LoginPolicy policy, Clock clock);

    // The password step. Unknown email and wrong password give the same Error (Exit::denied)
    // after the same work (a dummy hash is verified). Exit::locked while backing off after
    // repeated failures, or when the account is locked. A weaker stored hash is replaced.
    Result<UserRecord> check_password(const std::string& email, const std::string& password);

    // Starts a session for an authenticated user and sends the code (SMS or call; nothing for
    // token). Nothing is stored when sending fails (Exit::unavailable / rejected).
    // extra: more lines for a push's details (what is being approved: service, host, ...).
    Result<SessionView> start(const UserRecord& user, Via via, const PushDetails& extra = {});

    // Checks a code. Exit::usage for a malformed code or id (nothing sent), not_found for no
    // such session or one ended by logout, expired / denied / locked for a finished session,
    // locked when the attempts are used up or the user's second factor is locked or backing
    // off, conflict for a session already approved (the code is not checked). A wrong code
    // is a CodeCheck with accepted false; so is a login let through by failmode = safe
    // (view.failed_open, view.state approved).
    Result<CodeCheck> verify(const std::string& session_id, const std::string& code);

    // Sends the code again (at most one send per 30 s and 5 per session: Exit::locked with
    // the wait). via: sms or call; nullopt keeps the session's way (SMS after a token). An
    // approved session is returned as it is, with nothing sent (sent_to empty).
    Result<SessionView> resend(const std::string& session_id, std::optional<Via> via);

    // Ends a session: it and (if it is the user's latest) the user become unverified.
    Result<SessionView> logout(const std::string& session_id);

    // A session's current state (an overdue session is marked expired first).
    Result<SessionView> status(const std::string& session_id);

    // The user's latest session, or Exit::not_found for an unknown user. A user with no
    // session comes back with state unverified and an empty record.
    Result<SessionView> user_status(const std::string& email);

    // Every user with its latest session, one at a time (memory independent of the number of
    // users), by email; the status as the next read would find it (an overdue login reads expired).
    Status each_user_status(const Store::UserVisitor& fn);
    Result<std::vector<AuditCount>> audit_counts(std::int64_t since);

    // --- pushes ---------------------------------------------------------------------------

    // The session as stored, without taking the write lock or marking it expired (for a
    // waiting loop that reads often while the listener writes).
    Result<SessionView> peek(const std::string& session_id);

    // Asks the provider for the push's state and applies an answer (approved, denied,
    // expired) to a session still waiting in onetouch. For logins that get no callback.
    Result<SessionView> refresh_approval(const std::string& session_id);

    // Leaves the push for a code on the same session: sends it (sms, call) or not (token).
    Result<SessionView> switch_to_code(const std::string& session_id, Via via);

    // Applies push results in one transaction (the listener groups concurrent ones): one
    // outcome per result, in order. A result changes only the session waiting on its
    // challenge, only if it belongs to the result's provider user and is still in onetouch.
    // The store's change feed is published after the commit when a session changed.
    Result<std::vector<CallbackOutcome>> apply_callbacks(const std::vector<PushResult>& results);

    // Subscribes to the store's change feed (a waiting login).
    Result<std::unique_ptr<ChangeWaiter>> watch_changes();

  private:
    // verify's steps: take an attempt (the refusal, or nullopt with ticket set), and record
    // the verdict: valid, or skipped by failmode = safe, or wrong (true when it locked the
    // user).
    Result<std::optional<Error>> reserve_check(detail::SessionOps& ops, detail::Loaded& loaded,
                                               int& ticket);
    Result<bool> record_check(detail::SessionOps& ops, detail::Loaded& loaded, bool valid,
                              bool skipped, int ticket);
    // resend's reservation, inside its transaction: the refusal, or nullopt with the session
    // counted as sent (channel set) - or left alone when it is already approved.
    Result<std::optional<Error>> reserve_send(detail::SessionOps& ops, detail::Loaded& loaded,
                                              std::optional<Via> via, Channel& channel);

    Store& m_store;
    ProviderGetter m_provider;
    LoginPolicy m_policy;
    Clock m_clock;
};

// --- session ids --------------------------------------------------------------------------

// A new session id: 192 bits from the OS random source, base64url (32 characters).
std::string new_session_id();

// SHA-256 of the id, lower-case hex: what the store keeps.
std::string hash_session_id(const std::string& id);

// Exit::usage unless the text has the shape of a session id.
Status validate_session_id(const std::string& id);

// Exit::config when there is no state folder for the current-session file (no HOME).
Status check_state_dir(const std::string& state_dir);

// The current session file, $XDG_STATE_HOME/twofa/session (0600, written atomically).
Status save_current_session(const std::string& state_dir, const std::string& id);
// The id in it, or nullopt when there is none. Exit::config when it is readable by others.
Result<std::optional<std::string>> load_current_session(const std::string& state_dir);
// Removes it (no error when it does not exist).
Status clear_current_session(const std::string& state_dir);

} // namespace twofa
