// twofa logout: end the current (or given) login session.
#include "app.hpp"

#include <iostream>

namespace twofa::cli {

namespace {

int run_logout(App& app, const std::optional<std::string>& session) {
    SessionRef ref = resolve_session(app, session);
    auto ended = app.logins().logout(ref.id);
    // The current-session file goes when its session ends, or names one that is gone.
    if (ref.source == SessionSource::file &&
        (ended.ok() || ended.error().code == Exit::not_found)) {
        unwrap(clear_current_session(app.config().state_dir));
    }
    SessionView v = unwrap(std::move(ended));
    if (app.json) {
        app.print_json(session_json(v));
    } else {
        std::cout << "Logged out " << v.user.email << ".\n";
    }
    return 0;
}

} // namespace

void register_logout(CLI::App& root, App& app) {
    auto session = std::make_shared<std::optional<std::string>>();
    auto* cmd =
        root.add_subcommand("logout", "end the login session; its status becomes unverified\n"
                                      "Exit: 0 logged out, 6 no session");
    add_session_flag(*cmd, *session);
    cmd->callback(
        [&app, session] { app.run = [&app, session] { return run_logout(app, *session); }; });
}

} // namespace twofa::cli
