// Factors that are an app secret (offline TOTP): showing the secret once at enrollment (QR
// code, Base32, key URI, recovery codes), and twofa user totp confirm | reset | show |
// rotate-key, user recovery-codes.
#include "app.hpp"
#include "terminal.hpp"

#include <twofa/qr.hpp>

#include <iostream>
#include <unistd.h>

namespace twofa::cli {

void add_qr_flag(CLI::App& cmd, std::string& target) {
    cmd.add_option("--qr", target,
                   "QR code of the key URI: auto (on a terminal, as large as fits), large, "
                   "compact or none")
        ->check(CLI::IsMember({"auto", "large", "compact", "none"}))
        ->capture_default_str();
}

namespace {

// The QR code as the mode and the terminal allow; "" for none.
std::string qr_for(const std::string& uri, const std::string& mode) {
    if (mode == "none") {
        return "";
    }
    auto size = terminal_size(STDOUT_FILENO);
    if (!size && mode == "auto") {
        return ""; // not a terminal: scripts get the URI
    }
    QrMatrix m = unwrap(qr_encode(uri));
    if (mode == "large") {
        return qr_text(m, QrSize::large);
    }
    if (mode == "compact") {
        return qr_text(m, QrSize::compact);
    }
    for (QrSize s : {QrSize::large, QrSize::compact}) {
        if (qr_columns(m, s) <= size->first && qr_lines(m, s) + 2 <= size->second) {
            return qr_text(m, s);
        }
    }
    return qr_text(m, QrSize::compact); // too small a window: scroll back to scan it
}

// "ABCD EFGH ...": the secret in groups of four, for typing.
std::string grouped(const std::string& secret) {
    std::string out;
    for (std::size_t i = 0; i < secret.size(); i += 4) {
        out += (i == 0 ? "" : " ") + secret.substr(i, 4);
    }
    return out;
}

} // namespace

void show_app_secret(const AppSecret& s, const std::string& email, const std::string& qr,
                     nlohmann::json* doc) {
    if (doc != nullptr) {
        if (!s.uri.empty()) {
            (*doc)["otpauth_uri"] = s.uri;
            (*doc)["secret"] = s.secret;
        }
        if (!s.recovery_codes.empty()) {
            (*doc)["recovery_codes"] = s.recovery_codes;
        }
        return;
    }
    if (!s.uri.empty()) {
        std::string code = qr_for(s.uri, qr);
        if (!code.empty()) {
            std::cout << "Scan this with the authenticator app:\n" << code;
        }
        std::cout << "Secret (to type in):  " << grouped(s.secret) << "\n"
                  << "Key URI:              " << s.uri << "\n";
    }
    if (!s.recovery_codes.empty()) {
        std::cout << "Recovery codes (each works once, in place of the app's code; keep them "
                     "safe):\n";
        for (std::size_t i = 0; i < s.recovery_codes.size(); ++i) {
            std::cout << "  " << s.recovery_codes[i]
                      << (i % 5 == 4 || i + 1 == s.recovery_codes.size() ? "\n" : "");
        }
    }
    if (!s.uri.empty()) {
        std::cout << "Shown once. The factor counts after a first code: twofa user totp confirm "
                  << email << "\n";
    }
}

namespace {

struct FactorArgs {
    std::string email;
    std::string code;
    bool code_stdin = false;
    bool yes = false;
    bool show_secret = false;
    std::string qr = "auto";
};

// Asks on the terminal unless --yes; Exit::usage when there is no terminal to ask on.
void confirm_or_refuse(bool yes, const std::string& question, const std::string& refused) {
    if (yes) {
        return;
    }
    if (!stdin_is_tty()) {
        throw Failure(make_error(Exit::usage, refused + " without confirmation", "add --yes"));
    }
    auto answer = unwrap(read_tty_line(question + " [y/N] "));
    if (answer != "y" && answer != "Y" && answer != "yes") {
        throw Failure(make_error(Exit::usage, refused, "answer y to go on"));
    }
}

int run_confirm(App& app, const FactorArgs& a) {
    std::string code = a.code_stdin ? unwrap(read_stdin_line("code")) : a.code;
    if (code.empty()) {
        throw Failure(make_error(Exit::usage, "no code to confirm with",
                                 "give the app's code, or --code-stdin"));
    }
    auto out = unwrap(change_factor(app.store(), app.runtime().providers(), a.email,
                                    FactorChange::confirm, code, App::now()));
    bool ok = out.verdict == CodeVerdict::valid;
    if (app.json) {
        app.print_json({{"email", out.user.email}, {"confirmed", ok}});
    } else if (ok) {
        std::cout << "Confirmed: " << out.user.email << " logs in with the app's codes.\n";
    }
    if (!ok) {
        throw Failure(make_error(Exit::denied, "wrong code; the app is not confirmed",
                                 "check the phone's clock and type the code now shown"));
    }
    return 0;
}

int run_change(App& app, const FactorArgs& a, FactorChange change) {
    if (change == FactorChange::reset) {
        confirm_or_refuse(a.yes,
                          "Give " + a.email + " a new secret (the old app entry stops working)?",
                          "secret not reset");
    } else if (change == FactorChange::reveal) {
        confirm_or_refuse(a.yes, "Show the TOTP secret of " + a.email + " on this screen?",
                          "secret not shown");
    } else {
        confirm_or_refuse(a.yes,
                          "Give " + a.email + " new recovery codes (the old ones stop working)?",
                          "recovery codes not replaced");
    }
    auto out = unwrap(
        change_factor(app.store(), app.runtime().providers(), a.email, change, "", App::now()));
    nlohmann::json doc = {{"email", out.user.email}};
    show_app_secret(*out.secret, out.user.email, a.qr, app.json ? &doc : nullptr);
    if (app.json) {
        app.print_json(doc);
    }
    return 0;
}

int run_rotate(App& app) {
    int count = unwrap(app.provider("totp").rotate_key());
    app.json ? app.print_json({{"resealed", count}})
             : void(std::cout << "Sealed " << count << (count == 1 ? " secret" : " secrets")
                              << " under a new key in " << app.config().totp_key_file << ".\n");
    return 0;
}

} // namespace

void register_user_totp(CLI::App& user_cmd, App& app) {
    auto* totp = user_cmd.add_subcommand("totp", "the authenticator app of TOTP users");
    totp->require_subcommand(1);
    auto a = std::make_shared<FactorArgs>();

    auto* cmd =
        totp->add_subcommand("confirm", "activate the factor with a first code from the app");
    cmd->add_option("email", a->email, "the user's email")->required();
    cmd->add_option("code", a->code, "the app's current code");
    cmd->add_flag("--code-stdin", a->code_stdin, "read the code from one stdin line");
    cmd->callback([&app, a] { app.run = [&app, a] { return run_confirm(app, *a); }; });

    cmd = totp->add_subcommand("reset", "a new secret and recovery codes (confirm again)");
    cmd->add_option("email", a->email, "the user's email")->required();
    cmd->add_flag("--yes,-y", a->yes, "do not ask for confirmation");
    add_qr_flag(*cmd, a->qr);
    cmd->callback(
        [&app, a] { app.run = [&app, a] { return run_change(app, *a, FactorChange::reset); }; });

    cmd = totp->add_subcommand("show", "show the secret again (QR code, Base32, key URI)");
    cmd->add_option("email", a->email, "the user's email")->required();
    cmd->add_flag("--show-secret", a->show_secret, "required: yes, print the secret")->required();
    cmd->add_flag("--yes,-y", a->yes, "do not ask for confirmation");
    add_qr_flag(*cmd, a->qr);
    cmd->callback(
        [&app, a] { app.run = [&app, a] { return run_change(app, *a, FactorChange::reveal); }; });

    cmd = totp->add_subcommand("rotate-key", "seal every TOTP secret under a new key file");
    cmd->callback([&app] { app.run = [&app] { return run_rotate(app); }; });

    cmd =
        user_cmd.add_subcommand("recovery-codes", "new recovery codes (the old ones stop working)");
    cmd->add_option("email", a->email, "the user's email")->required();
    cmd->add_flag("--yes,-y", a->yes, "do not ask for confirmation");
    cmd->callback([&app, a] {
        app.run = [&app, a] { return run_change(app, *a, FactorChange::recovery_codes); };
    });
}

} // namespace twofa::cli
