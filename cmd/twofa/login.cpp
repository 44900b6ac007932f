// twofa login EMAIL: the library's login flow (password, then a push waited for in the
// terminal, or a code) with the terminal as its prompter.
#include "app.hpp"
#include "cli_help.hpp"
#include "prompter.hpp"
#include "terminal.hpp"

#include <twofa/login_flow.hpp>
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

// Reports an approved login; exit 0.
int logged_in(App& app, const SessionView& view) {
    app.json ? app.print_json(session_json(view, true))
             : void(std::cout << "Logged in as " << view.user.email << ".\n");
    return 0;
}

int print_pending(App& app, const SessionView& view) {
    if (app.json) {
        app.print_json(session_json(view, true));
    } else {
        std::cout << "Login pending (session " << view.id << ", expires in "
                  << clock_text(view.record.expires_at - App::now()) << "). Finish with: "
                  << (view.state == SessionState::onetouch ? "twofa status" : "twofa verify CODE")
                  << "\n";
    }
    return static_cast<int>(Exit::pending);
}

int run_login(App& app, const LoginOptions& o) {
    FlowOptions flow;
    flow.via = unwrap(parse_via(o.via));
    auto email = unwrap(validate_email(o.email));
    Logins& logins = app.logins();
    (void)app.provider(); // no credentials, or nowhere to keep the session: fail before anyone
    const std::string state_dir = app.config().state_dir;
    unwrap(check_state_dir(state_dir)); // types a password or a session starts
    flow.wait_limit = o.timeout > 0 ? o.timeout : app.config().login_timeout;
    flow.frame = std::chrono::milliseconds(app.fancy() ? 100 : 1000);
    flow.on_session = [&state_dir](const SessionView& v) {
        return save_current_session(state_dir, v.id);
    };
    TerminalPrompter prompter(app, o.password_stdin);
    LoginFlow login(logins, prompter, flow, &App::now);
    UserRecord user = unwrap(login.authenticate(email));
    SessionView view = unwrap(login.begin(user));
    if (o.no_wait && view.state != SessionState::approved) {
        return print_pending(app, view);
    }
    return logged_in(app, unwrap(login.finish(user, view)));
}

} // namespace

void register_login(CLI::App& root, App& app) {
    auto o = std::make_shared<LoginOptions>();
    auto* cmd = root.add_subcommand(
        "login", "log in: password, then a push to the phone or a code (SMS, voice call, email, "
                 "app)\n"
                 "Exit: 0 approved, 1 wrong password or code or push denied, 3 pending "
                 "(--no-wait), 4 expired, 5 locked");
    cmd->add_option("email", o->email, "the user's email")->required();
    cmd->add_flag("--password-stdin", o->password_stdin,
                  "read the password from one line of standard input");
    cmd->add_option("--via", o->via,
                    "auto (a push if the user has the app, else SMS), onetouch, sms, call, "
                    "email (Verify), token (the app's code)")
        ->type_name("auto|onetouch|sms|call|email|token")
        ->default_str("auto");
    cmd->add_flag(
        "--no-wait", o->no_wait,
        "start the second factor, print the session and exit 3; finish with twofa verify");
    cmd->add_option("--timeout", o->timeout,
                    "seconds to wait for the push or the code (default: login.timeout, else "
                    "until the request expires)")
        ->check(whole_number(1, 86400));
    cmd->callback([&app, o] { app.run = [&app, o] { return run_login(app, *o); }; });
}

} // namespace twofa::cli
