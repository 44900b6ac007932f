#pragma once
// The interactive login, one policy for every front end (`twofa login`, an SSH gate, a PAM
// module): the password step, starting the second factor, waiting for a push (woken by the
// store's change feed, the provider polled as a fallback, the user may switch to a code),
// falling back to an SMS code on denial or expiry, and the code prompts. The front end
// supplies only a Prompter (how to ask and what to show) and persistence of the session id;
// duo_unix's duo_set_conv_funcs is the model.
#include <twofa/login.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace twofa {

// What the flow tells the user; the front end words it.
enum class Notice {
    code_sent,            // a code went out by SMS (view.sent_to)
    calling,              // a voice call is on its way (view.sent_to)
    app_code,             // type the code the authenticator app shows
    push_sent,            // a push went to the user's phone
    push_denied,          // the push was denied; a code is sent instead
    push_expired,         // the push expired unanswered; a code is sent instead
    bad_code_format,      // what was typed is not a code; asked again
    wrong_code,           // a wrong code; view.attempts_left
    code_reused,          // the app's code of a time step already used; view.attempts_left
    recovery_used,        // a recovery code let the login in (it is used up now)
    factor_skipped,       // failmode = safe let the login through unchecked (audited)
    provider_poll_failed, // asking the provider about the push failed; still waiting (text)
    code_not_checked,     // the store or the provider could not check the code; asked again
                          // (text: the error)
};

struct FlowEvent {
    Notice notice = Notice::code_sent;
    SessionView view;
    std::string text; // provider_poll_failed, code_not_checked: the error
};

class Prompter {
  public:
    virtual ~Prompter() = default;
    // The password for `email`. An Error aborts the login (no terminal, interrupted).
    virtual Result<std::string> password(const std::string& email) = 0;
    // One code, waiting at most seconds_left. Exit::expired on timeout; other Errors abort.
    virtual Result<std::string> code(std::int64_t seconds_left) = 0;
    virtual void notice(const FlowEvent& event) = 0;

    // While a push waits: called once per frame with the time left; can_switch says whether
    // switch_fd() is live.
    virtual void waiting(std::int64_t seconds_left, bool can_switch) = 0;
    // Clears what waiting() drew.
    virtual void waiting_done() = 0;
    // A descriptor readable when the user may want a code instead of the push (a terminal),
    // or -1 (a PAM conversation cannot be polled).
    virtual int switch_fd() = 0;
    // Reads the input switch_fd() signalled; true when it asks for a code (Enter).
    virtual bool switch_requested() = 0;
};

struct FlowOptions {
    Via via = Via::automatic;
    // Seconds to wait for a push or a code; 0: until the request or session expires.
    std::int64_t wait_limit = 0;
    int code_prompts = 3;
    // How often waiting() is called while a push waits, and how often the provider is asked
    // when no callback arrives.
    std::chrono::milliseconds frame{100};
    std::chrono::milliseconds provider_poll{3000};
    // More lines for a push's details (a gated login: service, remote host, command).
    PushDetails push_details;
    // Called with each session the flow starts (the first, and a fallback's), to persist it.
    std::function<Status(const SessionView&)> on_session;
};

class LoginFlow {
  public:
    LoginFlow(Logins& logins, Prompter& prompter, FlowOptions options, Clock clock);

    // The whole login; the approved session. Errors: see the steps.
    Result<SessionView> run(const std::string& email);

    // 1. The password (Logins::check_password's errors).
    Result<UserRecord> authenticate(const std::string& email);
    // 2. Starts the second factor; the session as started (approved already when failmode =
    //    safe skipped it; the Notice says so).
    Result<SessionView> begin(const UserRecord& user);
    // 3. Waits for the push or asks for codes until the session is approved. Exit::expired
    //    when the wait limit passes or a push-only login expires, Exit::denied for a denied
    //    push-only login or codes used up (Cause::codes_used), Exit::locked when the session
    //    or the user locks.
    Result<SessionView> finish(const UserRecord& user, const SessionView& started);

  private:
    enum class PushEnd { answered, use_code, limit_reached };
    Result<PushEnd> wait_for_push(const std::string& id, SessionView& view);
    Result<SessionView> push(const UserRecord& user, const SessionView& started);
    Result<SessionView> codes(const SessionView& started);
    Status started(const SessionView& view); // persists a new session, then announce()
    void announce(const SessionView& view);  // tells the user how the factor comes
    std::int64_t limit_for(const SessionView& view) const;

    Logins& m_logins;
    Prompter& m_prompter;
    FlowOptions m_options;
    Clock m_clock;
};

} // namespace twofa
