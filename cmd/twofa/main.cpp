// twofa: parse the command line, run one command, map every failure to its exit code here.
#include "app.hpp"
#include "cli_help.hpp"
#include "completion.hpp"
#include "harden.hpp"
#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <array>
#include <iostream>
#include <string_view>

namespace {

// Every error line passes the control-character filter: messages quote the operator's own
// arguments and environment, which may hold escape sequences.
int report(const twofa::Error& e, bool json) {
    std::cerr << "twofa: error: " << twofa::strip_control(e.text()) << "\n";
    if (json) {
        nlohmann::json doc = {{"error", twofa::cli::error_json(e)}};
        std::cout << doc.dump() << std::endl;
    }
    return static_cast<int>(e.code);
}

// twofa completion bash|zsh (hidden: the package installs its output).
void register_completion(CLI::App& root, twofa::cli::App& app) {
    auto shell = std::make_shared<std::string>();
    auto* cmd = root.add_subcommand("completion", "print a shell completion script");
    cmd->group("");
    cmd->add_option("shell", *shell, "bash or zsh")->required();
    cmd->callback([&app, &root, shell] {
        app.run = [&root, shell] {
            auto script = twofa::cli::completion_script(root, *shell);
            if (!script) {
                throw twofa::Failure(twofa::make_error(
                    twofa::Exit::usage, "no completion for '" + *shell + "'", "give bash or zsh"));
            }
            std::cout << *script;
            return 0;
        };
    });
}

using Register = void (*)(CLI::App&, twofa::cli::App&);

struct Command {
    std::string_view name;
    Register add;
};

constexpr std::array<Command, 11> k_commands{{
    {"user", twofa::cli::register_user},
    {"login", twofa::cli::register_login},
    {"verify", twofa::cli::register_verify},
    {"resend", twofa::cli::register_resend},
    {"logout", twofa::cli::register_logout},
    {"status", twofa::cli::register_status},
    {"serve-callback", twofa::cli::register_serve_callback},
    {"db", twofa::cli::register_db},
    {"audit", twofa::cli::register_audit},
    {"pam-helper", twofa::cli::register_pam_helper},
    {"completion", register_completion},
}};

// The line's first two words after the global options (and their values).
std::array<std::string_view, 2> command_words(int argc, char** argv) {
    std::array<std::string_view, 2> words;
    std::size_t found = 0;
    for (int i = 1; i < argc && found < words.size(); ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config" || arg == "--db" || arg == "--authy-url") {
            ++i; // its value
        } else if (!arg.starts_with("-")) {
            words[found++] = arg;
        }
    }
    return words;
}

// The command named by the line's first word, or nullptr (none, help, a misspelling, or
// `completion`, which describes every command). Only that command is built: building all of
// them, with their options and help, was a sixth of a short command's start-up.
const Command* named_command(std::string_view word) {
    for (const Command& c : k_commands) {
        if (c.name == word && c.name != "completion") {
            return &c;
        }
    }
    return nullptr;
}

// Adds the command the line names (with the second word, for its subcommands), or every one.
void add_commands(CLI::App& root, twofa::cli::App& app, int argc, char** argv) {
    const auto words = command_words(argc, argv);
    if (const Command* only = named_command(words[0])) {
        app.second_word = words[1];
        only->add(root, app);
        return;
    }
    for (const Command& c : k_commands) {
        c.add(root, app);
    }
}

} // namespace

int main(int argc, char** argv) {
    using twofa::Exit;
    twofa::cli::harden_process();
    twofa::cli::install_interrupt_handler();
    twofa::cli::App app;
    CLI::App root{"twofa - two-factor authentication for logins.\n"
                  "Exit codes: 0 ok, 1 denied, 2 usage, 3 pending, 4 expired, 5 locked,\n"
                  "6 not found, 7 conflict, 8 unavailable, 9 rejected, 10 config, 11 store,\n"
                  "12 internal, 130 interrupted. See twofa(1).",
                  "twofa"};
    root.require_subcommand(1);
    root.fallthrough();
    root.set_version_flag("--version", "twofa " TWOFA_VERSION);
    root.add_flag("--json", app.json, "print one JSON document on stdout");
    root.add_option_function<std::string>(
        "--config", [&app](const std::string& v) { app.config_path = v; },
        "config file (TOML; default $XDG_CONFIG_HOME/twofa/config.toml)");
    twofa::cli::add_config_flag(root, app, "--db", "db");
    twofa::cli::add_config_flag(root, app, "--authy-url", "authy.url");
    root.get_option("--config")->type_name("FILE");
    add_commands(root, app, argc, argv);
    // The footers (the settings table, the global options under each command) are help's
    // alone: built when help is asked for, not by every command's start-up.
    auto help = [&root](const CLI::Error& e) {
        root.footer(twofa::cli::settings_help());
        twofa::cli::show_global_options(root);
        return root.exit(e);
    };
    try {
        try {
            root.parse(argc, argv);
        } catch (const CLI::CallForHelp& e) {
            return help(e);
        } catch (const CLI::CallForAllHelp& e) {
            return help(e);
        } catch (const CLI::CallForVersion& e) {
            return root.exit(e);
        } catch (const CLI::ParseError& e) {
            auto [what, hint] = twofa::cli::explain_parse_error(root, e);
            return report(twofa::make_error(Exit::usage, what, hint), app.json);
        }
        if (!app.run) {
            return report(twofa::make_error(Exit::usage, "no command given", "see twofa --help"),
                          app.json);
        }
        return app.run();
    } catch (const twofa::Failure& f) {
        return report(twofa::cli::with_cli_hint(f.error()), app.json);
    } catch (const std::exception& e) {
        return report(twofa::make_error(Exit::internal, std::string("unexpected: ") + e.what(),
                                        "please report this bug"),
                      app.json);
    }
}
