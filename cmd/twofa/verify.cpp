// twofa verify [CODE]: check a code for the current (or given) login session.
#include "app.hpp"
#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <iostream>

namespace twofa::cli {

namespace {

struct VerifyOptions {
    std::optional<std::string> code;
    std::optional<std::string> session;
    bool code_stdin = false;
};

std::string obtain_code(const VerifyOptions& o) {
    if (o.code && o.code_stdin) {
        throw Failure(make_error(Exit::usage, "give the code once: as an argument or on stdin",
                                 "drop one of them"));
    }
    if (o.code) {
        return *o.code;
    }
    if (o.code_stdin) {
        return unwrap(read_stdin_line("code"));
    }
    if (!tty_available()) {
        throw Failure(make_error(Exit::usage, "no code given and no terminal to ask for it",
                                 "pass it: twofa verify CODE, or use --code-stdin"));
    }
    return unwrap(read_tty_line("Code: "));
}

int run_verify(App& app, const VerifyOptions& o) {
    // With --session-stdin the id is the first line of stdin, the code (--code-stdin) the next.
    std::optional<SessionRef> first;
    if (o.session && *o.session == "-") {
        first = resolve_session(app, o.session);
    }
    std::string code = obtain_code(o);
    unwrap(validate_code(code)); // before anything else: a bad code never reaches the store
    SessionRef ref = first ? *first : resolve_session(app, o.session);
    CodeCheck check = unwrap(app.logins().verify(ref.id, code));
    const SessionView& v = check.view;
    if (app.json) {
        auto doc = session_json(v);
        doc["accepted"] = check.accepted;
        if (check.recovery) {
            doc["recovery_code"] = true;
        }
        if (v.failed_open) {
            doc["second_factor"] = "skipped";
        }
        app.print_json(doc);
    }
    if (v.failed_open) {
        std::cerr << "twofa: warning: the provider is unreachable and failmode = safe: the code "
                     "was NOT checked; the second factor was skipped for "
                  << v.user.email << " (audited)\n";
        return 0;
    }
    if (check.user_locked) {
        std::cerr << "twofa: error: wrong code; too many wrong codes across logins, so the "
                     "second factor is locked (ask an administrator to run: twofa user unlock "
                  << v.user.email << ")\n";
        return static_cast<int>(Exit::locked);
    }
    if (check.accepted) {
        if (!app.json) {
            std::cout << "Approved: logged in as " << v.user.email
                      << (check.recovery ? " with a recovery code (now used up)" : "") << ".\n";
        }
        return 0;
    }
    if (v.state == SessionState::approved) {
        // Another check approved the session while this wrong code was out.
        std::cerr << "twofa: error: wrong code (the login is approved anyway)\n";
        return static_cast<int>(Exit::denied);
    }
    if (v.state == SessionState::locked) {
        std::cerr << "twofa: error: wrong code; this login is now locked (log in again with "
                     "twofa login)\n";
        return static_cast<int>(Exit::locked);
    }
    std::cerr << "twofa: error: " << (check.reused ? "that code was already used" : "wrong code")
              << " (" << v.attempts_left << " attempt" << (v.attempts_left == 1 ? "" : "s")
              << " left)\n";
    return static_cast<int>(Exit::denied);
}

} // namespace

void register_verify(CLI::App& root, App& app) {
    auto o = std::make_shared<VerifyOptions>();
    auto* cmd = root.add_subcommand(
        "verify",
        "check a code for the current login session\n"
        "Exit: 0 approved, 1 wrong code, 2 not 6-10 digits, 4 expired, 7 already approved, "
        "5 locked (5th wrong code), 6 no session");
    cmd->add_option_function<std::string>(
        "code", [o](const std::string& v) { o->code = v; }, "the 6-10 digit code");
    cmd->add_flag("--code-stdin", o->code_stdin, "read the code from one line of standard input");
    add_session_flag(*cmd, o->session);
    cmd->callback([&app, o] { app.run = [&app, o] { return run_verify(app, *o); }; });
}

} // namespace twofa::cli
