// twofa resend: send the login code again.
#include "app.hpp"

#include <iostream>

namespace twofa::cli {

namespace {

struct ResendOptions {
    std::optional<std::string> session;
    std::optional<std::string> via;
};

int run_resend(App& app, const ResendOptions& o) {
    std::optional<Via> via;
    if (o.via) {
        via = unwrap(parse_via(*o.via));
    }
    SessionRef ref = resolve_session(app, o.session);
    SessionView v = unwrap(app.logins().resend(ref.id, via));
    if (v.state == SessionState::approved) {
        app.json ? app.print_json(session_json(v))
                 : void(std::cout << "This login is already approved; no code sent.\n");
        return 0;
    }
    if (app.json) {
        auto doc = session_json(v);
        doc["sent_to"] = v.sent_to;
        doc["sends"] = v.record.sends;
        app.print_json(doc);
    } else {
        std::cout << (v.record.method == Channel::call ? "Calling " : "Sent a new code to ")
                  << v.sent_to << ". Finish with: twofa verify CODE\n";
    }
    return 0;
}

} // namespace

void register_resend(CLI::App& root, App& app) {
    auto o = std::make_shared<ResendOptions>();
    auto* cmd = root.add_subcommand(
        "resend", "send the login code again (at most once per 30 s, 5 times per login)\n"
                  "Exit: 0 sent, 5 too soon or too many (says how long to wait), 6 no session");
    add_session_flag(*cmd, o->session);
    cmd->add_option_function<std::string>(
           "--via", [o](const std::string& v) { o->via = v; },
           "sms, call or email (Verify) (default: the way the last code went)")
        ->type_name("sms|call|email");
    cmd->callback([&app, o] { app.run = [&app, o] { return run_resend(app, *o); }; });
}

} // namespace twofa::cli
