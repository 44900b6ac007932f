#pragma once
// Guarding a Unix login (pam_twofa, an sshd ForceCommand): the twofa user that guards the
// Unix account, then the login flow's second factor. No password: the rest of the PAM stack
// (or sshd) checks that. Every gated login is audited ("gate").
#include <twofa/login_flow.hpp>

#include <optional>
#include <string>

namespace twofa {

struct GateRequest {
    std::string unix_user;
    std::string service;     // the PAM service ("sshd", "sudo") or "twofa-gate"
    std::string remote_host; // "" for a local login
    std::string command;     // what is approved (sudo's command, SSH_ORIGINAL_COMMAND), may be ""
};

struct GateOptions {
    bool nullok = false;   // a Unix account no twofa user guards passes (ignored)
    bool pushinfo = false; // the push shows the service, the remote host and the command
    // An email for Unix accounts no user names with --unix-user: "{user}" is replaced by the
    // account name ("{user}@example.com"); "" for none.
    std::string user_map;
};

enum class GateVerdict {
    allowed,     // the second factor was shown (or skipped by failmode = safe: failed_open)
    ignored,     // nullok and no twofa user guards the account
    unknown,     // no twofa user guards the account
    denied,      // a wrong code, a denied push, or the codes used up
    expired,     // no answer in time
    locked,      // the session or the user is locked
    unavailable, // the provider, the store or the configuration failed: fail closed
};
const char* to_string(GateVerdict verdict) noexcept;

struct GateOutcome {
    GateVerdict verdict = GateVerdict::unavailable;
    bool failed_open = false; // allowed only because failmode = safe skipped the factor
    std::string email;        // the twofa user, when there is one
    Error error;              // why, when not allowed
};

class Gate {
  public:
    Gate(Logins& logins, Store& store, GateOptions options, Clock clock);

    // The user guarding the account (by unix_user, else by the user_map rule), or nullopt.
    Result<std::optional<UserRecord>> guard_of(const std::string& unix_user);

    // Runs the second factor for the request's account through the prompter. guard: what
    // guard_of answered for it, when the caller asked already (to choose how to prompt).
    GateOutcome run(const GateRequest& request, Prompter& prompter, FlowOptions flow);
    GateOutcome run(const GateRequest& request, const Result<std::optional<UserRecord>>& guard,
                    Prompter& prompter, FlowOptions flow);
    // A login that ended before its factor started (the conversation ended at a question the
    // front end asked first): the outcome for this error, audited like the others.
    GateOutcome ended(const GateRequest& request, const UserRecord& user, const Error& why);

  private:
    GateOutcome finish(const GateRequest& request, const UserRecord& user, Prompter& prompter,
                       FlowOptions flow);
    void audit(const GateRequest& request, const GateOutcome& outcome);

    Logins& m_logins;
    Store& m_store;
    GateOptions m_options;
    Clock m_clock;
};

} // namespace twofa
