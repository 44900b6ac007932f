// twofa login EMAIL: password, then a OneTouch push (waiting in the terminal) or a code sent
// by SMS or voice call, or read from the app.
#include "app.hpp"
#include "push_wait.hpp"
#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <iostream>

namespace twofa::cli {

namespace {

struct LoginOptions {
    std::string email;
    bool password_stdin = false;
    std::string via = "auto";
    bool no_wait = false;
    int timeout = 0;
};

constexpr int k_code_prompts = 3;

std::string obtain_password(const LoginOptions& o) {
    if (o.password_stdin) {
        return unwrap(read_stdin_line("password"));
    }
    if (!stdin_is_tty()) {
        throw Failure(make_error(Exit::usage, "no terminal to ask for the password",
                                 "pipe it in with --password-stdin"));
    }
    return unwrap(read_secret("Password for " + strip_control(o.email) + ": "));
}

void announce(const SessionView& v) {
    if (!v.sent_to.empty()) {
        std::cerr << "We " << (v.record.method == "call" ? "are calling " : "sent a code to ")
                  << v.sent_to << ".\n";
    } else if (v.state == SessionState::token) {
        std::cerr << "Open the Authy app and type the code it shows for this account.\n";
    } else if (v.state == SessionState::onetouch) {
        std::cerr << "Sent a login request to the Authy app on " << v.user.email << "'s phone.\n";
    }
}

// Reports an approved login; exit 0.
int logged_in(App& app, const SessionView& view) {
    app.json ? app.print_json(session_json(view, true))
             : void(std::cout << "Logged in as " << view.user.email << ".\n");
    return 0;
}

// Asks for the code up to k_code_prompts times; the exit code.
int prompt_for_code(App& app, const SessionView& started, int timeout) {
    if (timeout <= 0) {
        timeout = static_cast<int>(started.record.expires_at - App::now());
    }
    const bool use_tty = tty_available();
    Logins& logins = app.logins();
    for (int prompt = 1; prompt <= k_code_prompts; ++prompt) {
        // Without a terminal (scripts, the demo), codes are the next lines of standard input.
        std::string code =
            use_tty ? unwrap(read_tty_line("Code: ", timeout)) : unwrap(read_stdin_line("code"));
        if (!validate_code(code).ok()) {
            std::cerr << "A code is 6 to 10 digits.\n";
            continue;
        }
        CodeCheck check = unwrap(logins.verify(started.id, code));
        if (check.view.failed_open) {
            std::cerr << "twofa: warning: the provider is unreachable and failmode = safe: the "
                         "code was NOT checked; the second factor was skipped (audited)\n";
        }
        if (check.accepted || check.view.failed_open) {
            check.view.id = started.id;
            return logged_in(app, check.view);
        }
        if (check.user_locked) {
            throw Failure(make_error(
                Exit::locked,
                "wrong code; too many wrong codes across logins locked the second factor",
                "ask an administrator to run: twofa user unlock " + check.view.user.email));
        }
        if (check.view.state == SessionState::locked) {
            throw Failure(make_error(Exit::locked, "wrong code; this login is now locked",
                                     "log in again with twofa login"));
        }
        std::cerr << "Wrong code. " << check.view.attempts_left << " attempt"
                  << (check.view.attempts_left == 1 ? "" : "s") << " left.\n";
    }
    throw Failure(make_error(Exit::denied, "wrong code",
                             "try again with twofa verify, or get a new code with twofa resend"));
}

void print_pending(App& app, const SessionView& view) {
    if (app.json) {
        app.print_json(session_json(view, true));
        return;
    }
    announce(view);
    std::cout << "Login pending (session " << view.id << ", expires in "
              << clock_text(view.record.expires_at - App::now()) << "). Finish with: "
              << (view.state == SessionState::onetouch ? "twofa status" : "twofa verify CODE")
              << "\n";
}

// --timeout, else login.timeout; 0: until the request or session expires.
int wait_limit(App& app, const LoginOptions& o) {
    return o.timeout > 0 ? o.timeout : app.config().login_timeout;
}

// A push: wait for the answer; on denial or expiry fall back to a code (a new session), unless
// the user asked for OneTouch only.
int push_login(App& app, const LoginOptions& o, Via via, const UserRecord& user,
               const SessionView& view) {
    const Config& c = app.config();
    int limit = wait_limit(app, o);
    if (limit <= 0) {
        limit = static_cast<int>(view.record.expires_at - App::now());
    }
    PushWait w = wait_for_push(app, view, limit);
    if (w.end == PushEnd::limit_reached) {
        throw Failure(make_error(Exit::expired, "no answer from the phone within the wait limit",
                                 "twofa status shows the login; the request is still open"));
    }
    Logins& logins = app.logins();
    if (w.end == PushEnd::use_code) {
        SessionView switched = unwrap(logins.switch_to_code(view.id, Via::sms));
        switched.id = view.id;
        announce(switched);
        return prompt_for_code(app, switched, wait_limit(app, o));
    }
    if (w.view.state == SessionState::approved) {
        w.view.id = view.id;
        return logged_in(app, w.view);
    }
    bool denied = w.view.state == SessionState::denied;
    if (via == Via::onetouch) {
        throw Failure(denied ? make_error(Exit::denied, "the request was denied on the phone",
                                          "log in again, or use --via sms")
                             : make_error(Exit::expired, "the request expired unanswered",
                                          "log in again, or use --via sms"));
    }
    std::cerr << (denied ? "The request was denied" : "The request expired")
              << "; sending a code by SMS instead.\n";
    SessionView fallback = unwrap(logins.start(user, Via::sms));
    unwrap(save_current_session(c.state_dir, fallback.id));
    announce(fallback);
    return prompt_for_code(app, fallback, wait_limit(app, o));
}

int run_login(App& app, const LoginOptions& o) {
    Via via = unwrap(parse_via(o.via));
    auto email = unwrap(validate_email(o.email));
    Logins& logins = app.logins();
    (void)app.authy(); // no API key, or nowhere to keep the session: fail before anyone
    unwrap(check_state_dir(app.config().state_dir)); // types a password or a session starts
    std::string password = obtain_password(o);
    UserRecord user = unwrap(logins.check_password(email, password));
    SessionView view = unwrap(logins.start(user, via));
    unwrap(save_current_session(app.config().state_dir, view.id));
    if (view.failed_open) {
        std::cerr << "twofa: warning: Authy is unreachable and failmode = safe: the second "
                     "factor was skipped for this login (audited)\n";
    }
    if (view.state == SessionState::approved) {
        return logged_in(app, view);
    }
    if (o.no_wait) {
        print_pending(app, view);
        return static_cast<int>(Exit::pending);
    }
    if (view.state == SessionState::onetouch) {
        return push_login(app, o, via, user, view);
    }
    announce(view);
    return prompt_for_code(app, view, wait_limit(app, o));
}

} // namespace

void register_login(CLI::App& root, App& app) {
    auto o = std::make_shared<LoginOptions>();
    auto* cmd = root.add_subcommand(
        "login", "log in: password, then a OneTouch push or a code (SMS, voice call, app)\n"
                 "Exit: 0 approved, 1 wrong password or code or push denied, 3 pending "
                 "(--no-wait), 4 expired, 5 locked");
    cmd->add_option("email", o->email, "the user's email")->required();
    cmd->add_flag("--password-stdin", o->password_stdin,
                  "read the password from one line of standard input");
    cmd->add_option("--via", o->via,
                    "auto (OneTouch if the user has the app, else SMS), onetouch, sms, call, "
                    "token (the app's code)")
        ->default_str("auto");
    cmd->add_flag(
        "--no-wait", o->no_wait,
        "start the second factor, print the session and exit 3; finish with twofa verify");
    cmd->add_option("--timeout", o->timeout,
                    "seconds to wait for the push or the code (default: login.timeout, else "
                    "until the request expires)")
        ->check(CLI::Range(1, 86400));
    cmd->callback([&app, o] { app.run = [&app, o] { return run_login(app, *o); }; });
}

} // namespace twofa::cli
