#pragma once
// The one table of exit codes and the error type that carries them.
#include <stdexcept>
#include <string>

namespace twofa {

// Exit codes shared by every command (product contract, "Exit codes").
enum class Exit : int {
    ok = 0,
    denied = 1,
    usage = 2,
    pending = 3,
    expired = 4,
    locked = 5,
    not_found = 6,
    conflict = 7,
    unavailable = 8,
    rejected = 9,
    config = 10,
    store = 11,
    internal = 12,
    interrupted = 130,
};

// Upper-case name of an exit code ("USAGE"); "INTERNAL" for values outside the table.
const char* exit_name(Exit code) noexcept;

// Every code of the table, in order, for tests and documentation.
const Exit* all_exits(std::size_t& count) noexcept;

// What a front end may say about an error in its own words: the library's hints never name
// a command or a flag (a PAM module or an SSH gate shows them to its users).
enum class Cause {
    none,
    user_locked,     // an administrator must unlock the user (subject: the email)
    login_over,      // the login session ended: denied, expired, locked or logged out
    no_such_session, // no session with that id
    codes_used,      // the login's code prompts are used up; the session may still take one
    push_open,       // the wait ended with the push still open
};

// A failure as the user sees it: what went wrong, and a hint on what to do about it.
struct Error {
    Exit code = Exit::internal;
    std::string message;
    std::string hint;
    // The provider could not be reached (connection, DNS, TLS, timeout) or answered 5xx: the
    // only failures `failmode = safe` may skip the second factor for. A malformed or
    // unexpected answer is Exit::unavailable too, but never unreachable.
    bool unreachable = false;
    Cause cause = Cause::none;
    std::string subject; // what the cause is about (an email), for the front end's hint

    // "<message> (<hint>)", or just the message when there is no hint.
    std::string text() const;
};

// Thrown only where a Result cannot be returned (constructors, thread bodies) and by the
// front ends' unwrap helpers; caught once in main.
class Failure : public std::runtime_error {
  public:
    explicit Failure(Error e) : std::runtime_error(e.message), m_error(std::move(e)) {}
    const Error& error() const noexcept { return m_error; }

  private:
    Error m_error;
};

inline Error make_error(Exit code, std::string message, std::string hint = {}) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    e.hint = std::move(hint);
    return e;
}

// A setting or credential is wrong (exit 10).
inline Error config_error(std::string message, std::string hint) {
    return make_error(Exit::config, std::move(message), std::move(hint));
}

// The error with a cause (and its subject) attached.
inline Error cause(Error e, Cause c, std::string subject = {}) {
    e.cause = c;
    e.subject = std::move(subject);
    return e;
}

} // namespace twofa
