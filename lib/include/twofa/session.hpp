#pragma once
// The login session's state machine and throttling arithmetic: the one written-down place
// for which status may follow which, and how long a user must wait. Pure logic, no I/O.
#include <twofa/error.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace twofa {

// Statuses of a login session (and, mirrored, of its user).
enum class SessionState { unverified, onetouch, sms, token, approved, denied, expired, locked };

// The status's wire/database name ("sms"); parse_state is its inverse (nullopt if unknown).
const char* to_string(SessionState state) noexcept;
std::optional<SessionState> parse_state(std::string_view name) noexcept;

// Waiting for a second factor: onetouch, sms, token.
bool is_pending(SessionState state) noexcept;

// Allowed transitions (the one place they are written down):
// clang-format off
//   onetouch    -> approved | denied | expired | sms | token   (the push is answered, or the
//                                                              user switches to a code)
//   sms, token  -> approved | denied | expired | locked | sms | token   (resend may switch)
//   approved    -> expired                                     (approvals expire too)
//   any         -> unverified                                  (logout)
// clang-format on
// denied, expired, locked and unverified are final but for logout.
bool can_transition(SessionState from, SessionState to) noexcept;

// The exit code that reports a session in this state: approved 0, pending 3, denied 1,
// expired 4, locked 5, unverified (logged out) 6.
Exit exit_for(SessionState state) noexcept;

struct ThrottlePolicy {
    int max_code_attempts = 5;            // the 5th wrong code locks the session
    std::int64_t resend_interval = 30;    // seconds between sends
    int max_sends = 5;                    // sends per session, the first included
    int free_password_failures = 2;       // failures before back-off starts
    std::int64_t password_base_delay = 1; // seconds, doubled per further failure
    int lock_after_password_failures = 10;
    // Wrong codes across all of a user's sessions: after max_code_attempts of them each
    // further one waits code_base_delay, doubled; user_code_failures of them lock the user
    // for user_lock_seconds (0: until an administrator unlocks).
    int user_code_failures = 10;
    std::int64_t user_lock_seconds = 0;
    std::int64_t code_base_delay = 1;
};

// Seconds a user must wait before the next password attempt after `failures` consecutive
// failures: 0 for the first free ones, then base, 2*base, 4*base, ... (capped at 15 minutes).
std::int64_t password_backoff(const ThrottlePolicy& p, int failures) noexcept;

// Seconds before the next code may be checked after `failures` wrong codes in a row across
// sessions: 0 for the first max_code_attempts, then base, 2*base, ... (capped at 15 minutes).
std::int64_t code_backoff(const ThrottlePolicy& p, int failures) noexcept;

// True when that many consecutive password failures lock the account.
bool password_locks(const ThrottlePolicy& p, int failures) noexcept;

struct SendDecision {
    bool allowed = false;
    Exit refusal = Exit::ok; // Exit::locked when refused
    std::int64_t wait = 0;   // seconds until the next send is allowed; -1: never again
};

// May a code be sent now, given how many were sent and when the last one went?
SendDecision may_send(const ThrottlePolicy& p, int sends, std::int64_t last_send_at,
                      std::int64_t now) noexcept;

// Attempts left after `wrong` wrong codes (0 means the session is locked).
int attempts_left(const ThrottlePolicy& p, int wrong) noexcept;

} // namespace twofa
