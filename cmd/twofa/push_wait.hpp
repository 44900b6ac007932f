#pragma once
// Waiting in the terminal for a OneTouch answer: spinner and countdown on a TTY, woken by the
// listener's commit (inotify on the database folder), Authy polled every few seconds as a
// fallback, Enter to switch to a code.
#include "app.hpp"

namespace twofa::cli {

enum class PushEnd {
    answered,     // the session left onetouch (approved, denied or expired): see view
    use_code,     // the user pressed Enter
    limit_reached // --timeout / login.timeout passed first
};

struct PushWait {
    PushEnd end = PushEnd::answered;
    SessionView view;
};

// Waits at most limit_seconds (and never past the request's expiry).
PushWait wait_for_push(App& app, const SessionView& started, int limit_seconds);

} // namespace twofa::cli
