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

// A failure as the user sees it: what went wrong, and a hint on what to do about it.
struct Error {
    Exit code = Exit::internal;
    std::string message;
    std::string hint;
    // The provider could not be reached (connection, DNS, TLS, timeout) or answered 5xx: the
    // only failures `failmode = safe` may skip the second factor for. A malformed or
    // unexpected answer is Exit::unavailable too, but never unreachable.
    bool unreachable = false;

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
    return Error{code, std::move(message), std::move(hint)};
}

} // namespace twofa
