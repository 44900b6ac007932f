// twofa-sandbox: parse flags, bind, print the address, serve until SIGINT/SIGTERM.
#include <twofa/sandbox.hpp>
#include <twofa/util.hpp>

#include "cli_help.hpp"
#include "harden.hpp"
#include "run.hpp"
#include "stop_signals.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <utility>
#include <vector>

namespace {

int fail(const twofa::Error& e) {
    std::cerr << "twofa-sandbox: error: " << e.text() << "\n";
    return static_cast<int>(e.code);
}

// The keys not given as flags, from the environment.
void credentials_from_env(twofa::SandboxOptions& o) {
    for (auto [field, names] :
         {std::pair{&o.api_key, std::vector<const char*>{"TWOFA_AUTHY_API_KEY", "AUTHY_API_KEY"}},
          std::pair{&o.auth_token, std::vector<const char*>{"TWILIO_AUTH_TOKEN"}}}) {
        for (const char* name : names) {
            if (const char* v = std::getenv(name); field->empty() && v != nullptr && *v != '\0') {
                *field = v;
            }
        }
    }
}

// The sandbox's own options; listen and method are parsed into o after the command line.
struct Flags {
    std::string listen = "127.0.0.1:8089";
    std::string method = "POST";
};

void add_sandbox_options(CLI::App& app, twofa::SandboxOptions& o, Flags& f) {
    app.set_version_flag("--version", "twofa-sandbox " TWOFA_VERSION);
    app.add_option("--listen", f.listen, "HOST:PORT on loopback (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--api-key", o.api_key,
                   "the API key clients must send (default: $AUTHY_API_KEY)");
    app.add_option("--auth-token", o.auth_token,
                   "Verify's Auth Token clients must send (default: $TWILIO_AUTH_TOKEN)");
    app.add_option("--callback-url", o.callback_url, "where OneTouch results are POSTed");
    app.add_option("--callback-method", f.method,
                   "POST (JSON body) or GET (query string), as Authy's dashboard offered")
        ->check(CLI::IsMember({"POST", "GET"}))
        ->capture_default_str();
    app.add_option("--verify-webhook-url", o.verify_webhook_url,
                   "where Verify challenge results are POSTed (signed X-Twilio-Signature)");
    app.add_option("--state", o.state_file, "keep users and requests in this file (0600)");
    app.add_option("--latency-ms", o.latency_ms,
                   "delay every API answer (imitates a distant provider)")
        ->check(twofa::cli::whole_number(0, 60000));
    app.add_option("--approve-after", o.approve_after, "seconds before a push is approved")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));
}

CLI::App* add_run_command(CLI::App& app, twofa::cli::RunOptions& run) {
    auto* cmd = app.add_subcommand(
        "run", "start the sandbox and a twofa serve-callback on free loopback ports, run COMMAND\n"
               "with their URLs and keys exported (TWOFA_AUTHY_URL, TWOFA_VERIFY_URL,\n"
               "TWOFA_SANDBOX_URL, AUTHY_API_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,\n"
               "TWOFA_VERIFY_SERVICE_SID, TWOFA_DB, TWOFA_CALLBACK_LISTEN,\n"
               "TWOFA_CALLBACK_PUBLIC_URL), stop both, exit with COMMAND's code.\n"
               "Usage: twofa-sandbox [OPTIONS] run [--twofa PATH] [--keep] [--] COMMAND...");
    cmd->add_option("--twofa", run.twofa,
                    "the twofa binary to serve callbacks (default: beside twofa-sandbox, "
                    "else on PATH)");
    cmd->add_flag("--keep", run.keep, "keep the work folder (database, listener log)");
    cmd->prefix_command(); // everything from COMMAND on is COMMAND's
    return cmd;
}

// The arguments for CLI11 (in its reverse order), with "run ... -- COMMAND..." taken out:
// what follows "--" is COMMAND's, whatever it looks like.
std::vector<std::string> split_command(int argc, char** argv, std::vector<std::string>& command) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (auto at_run = std::find(args.begin(), args.end(), "run"); at_run != args.end()) {
        if (auto dashes = std::find(at_run, args.end(), "--"); dashes != args.end()) {
            command.assign(dashes + 1, args.end());
            args.erase(dashes, args.end());
        }
    }
    std::reverse(args.begin(), args.end());
    return args;
}

int serve(const twofa::SandboxOptions& o) {
    twofa::cli::StopSignals signals; // before any thread starts
    twofa::Sandbox sandbox(o);
    auto port = sandbox.bind();
    if (!port.ok()) {
        return fail(port.error());
    }
    std::cout << "twofa-sandbox listening on http://" << o.host << ":" << *port << std::endl;
    bool ok = signals.serve([&] { return sandbox.run(); }, [&] { sandbox.stop(); });
    return ok ? 0 : 12;
}

} // namespace

int main(int argc, char** argv) {
    twofa::cli::harden_process();
    CLI::App app{"twofa-sandbox - an offline Authy API and Twilio Verify v2 look-alike for demos,\n"
                 "CI and tests. Authy scenarios by the phone's last four digits: 0000 (and\n"
                 "others) app, approves; 1111 app, denies; 2222 no app; 3333 app, never answers;\n"
                 "4444 invalid phone. Verify: /v2/ with HTTP Basic (any AC... SID and\n"
                 "--auth-token), service VA000...0 from the start; a push device per entity\n"
                 "with POST /sandbox/entities/IDENTITY/push_device.",
                 "twofa-sandbox"};
    twofa::SandboxOptions o;
    Flags f;
    add_sandbox_options(app, o, f);
    twofa::cli::RunOptions run;
    CLI::App* run_cmd = add_run_command(app, run);
    try {
        app.parse(split_command(argc, argv, run.command));
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        auto [what, hint] = twofa::cli::explain_parse_error(app, e);
        std::cerr << "twofa-sandbox: error: " << what << " (" << hint << ")\n";
        return 2;
    }
    o.callback_get = f.method == "GET";
    auto hp = twofa::parse_host_port(f.listen);
    if (!hp.ok()) {
        return fail(twofa::make_error(twofa::Exit::usage, "--listen must be HOST:PORT",
                                      "e.g. 127.0.0.1:8089"));
    }
    o.host = hp->host;
    o.port = hp->port;
    credentials_from_env(o);
    if (!run_cmd->parsed()) {
        return serve(o);
    }
    if (run.command.empty()) {
        run.command = run_cmd->remaining();
    }
    if (run.command.empty()) {
        return fail(twofa::make_error(twofa::Exit::usage, "run needs a command",
                                      "twofa-sandbox run -- COMMAND [ARGS...]"));
    }
    return twofa::cli::run_with_sandbox(o, run);
}
