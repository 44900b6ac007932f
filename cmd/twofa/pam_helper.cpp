// twofa pam-helper (hidden): the second factor of a PAM login. pam_twofa.so runs it as root,
// with a fixed environment, and relays the PAM conversation over its standard input and
// output, one line each way:
//   out: "info TEXT" | "error TEXT" | "prompt TEXT" (echo on), and last "done VERDICT"
//   in:  "answer TEXT" (end of input: the conversation failed)
// The exit code follows twofa's table (0 allowed or ignored, 1 denied, 4 expired, 5 locked,
// 6 no twofa user, 8 unavailable); the module maps the verdict to a PAM code.
#include "app.hpp"
#include "cli_help.hpp"
#include "prompter.hpp"

#include <twofa/gate.hpp>
#include <twofa/validate.hpp>

#include <poll.h>
#include <unistd.h>

#include <iostream>

namespace twofa::cli {

namespace {

struct PamArgs {
    GateRequest request;
    bool nullok = false;
    bool autopush = false;
    bool pushinfo = false;
    int prompts = 3;
    int timeout = 0;
};

void say(const char* kind, const std::string& text) {
    std::string line = strip_control(text);
    for (char& c : line) {
        c = c == '\n' ? ' ' : c;
    }
    std::cout << kind << ' ' << line << '\n' << std::flush;
}

// One "answer" line within the time left; Exit::expired on timeout, denied on end of input.
Result<std::string> answer(std::int64_t seconds_left) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int ms = static_cast<int>(std::max<std::int64_t>(seconds_left, 1) * 1000);
    if (::poll(&p, 1, ms) <= 0) {
        return make_error(Exit::expired, "no answer in time", "log in again");
    }
    std::string line;
    if (!std::getline(std::cin, line) || line.rfind("answer ", 0) != 0) {
        return make_error(Exit::denied, "the conversation ended", "log in again");
    }
    return line.substr(7);
}

class ConversationPrompter final : public Prompter {
  public:
    std::optional<std::string> typed; // a code typed at the first prompt

    Result<std::string> password(const std::string&) override {
        return make_error(Exit::usage, "pam_twofa checks only the second factor",
                          "put a password module before it in the stack");
    }
    Result<std::string> code(std::int64_t seconds_left) override {
        if (typed) {
            std::string c = *typed;
            typed.reset();
            return c;
        }
        say("prompt", "Code: ");
        return answer(seconds_left);
    }
    void notice(const FlowEvent& e) override {
        const bool warning = e.notice == Notice::factor_skipped ||
                             e.notice == Notice::provider_poll_failed ||
                             e.notice == Notice::code_not_checked;
        say(warning ? "error" : "info", notice_text(e));
    }
    void waiting(std::int64_t seconds_left, bool) override {
        if (!m_said) {
            say("info", "Waiting for approval on your phone (expires in " +
                            clock_text(seconds_left) + ")...");
            m_said = true;
        }
    }
    void waiting_done() override {}
    int switch_fd() override { return -1; }
    bool switch_requested() override { return false; }

  private:
    bool m_said = false;
};

int exit_of(GateVerdict v) {
    switch (v) {
    case GateVerdict::allowed:
    case GateVerdict::ignored:
        return 0;
    case GateVerdict::unknown:
        return static_cast<int>(Exit::not_found);
    case GateVerdict::denied:
        return static_cast<int>(Exit::denied);
    case GateVerdict::expired:
        return static_cast<int>(Exit::expired);
    case GateVerdict::locked:
        return static_cast<int>(Exit::locked);
    case GateVerdict::unavailable:
        break;
    }
    return static_cast<int>(Exit::unavailable);
}

int run_pam(App& app, const PamArgs& a) {
    Logins& logins = app.logins();
    GateOptions gate_options{a.nullok, a.pushinfo, app.config().gate_user_map};
    Gate gate(logins, app.store(), gate_options, &App::now);
    FlowOptions flow;
    flow.via = Via::automatic;
    flow.code_prompts = a.prompts;
    flow.wait_limit = a.timeout;
    flow.frame = std::chrono::milliseconds(1000);
    ConversationPrompter prompter;
    // Without autopush, a user who could get a push first chooses: Enter, or a code.
    auto guard = gate.guard_of(a.request.unix_user);
    std::optional<GateOutcome> ended;
    if (!a.autopush && guard.ok() && *guard &&
        App::provider_info((*guard)->provider).offers(Channel::push)) {
        say("prompt", "Press Enter for a login request on your phone, or type a code: ");
        auto typed = answer(a.timeout > 0 ? a.timeout : 120);
        if (!typed.ok()) {
            ended = gate.ended(a.request, **guard, typed.error());
        } else if (!typed->empty()) {
            flow.via = Via::token;
            prompter.typed = *typed;
        }
    }
    GateOutcome out = ended ? *ended : gate.run(a.request, guard, prompter, flow);
    if (out.verdict == GateVerdict::unknown) {
        say("error", "twofa: this account has no second factor set up");
    } else if (out.verdict != GateVerdict::allowed && out.verdict != GateVerdict::ignored) {
        say("error", "twofa: " + out.error.text());
    }
    say("done", to_string(out.verdict));
    return exit_of(out.verdict);
}

} // namespace

void register_pam_helper(CLI::App& root, App& app) {
    auto a = std::make_shared<PamArgs>();
    auto* cmd = root.add_subcommand("pam-helper", "");
    cmd->group(""); // hidden: pam_twofa.so's helper
    cmd->add_option("--user", a->request.unix_user)->required();
    cmd->add_option("--service", a->request.service)->required();
    cmd->add_option("--rhost", a->request.remote_host);
    cmd->add_option("--command", a->request.command);
    cmd->add_flag("--nullok", a->nullok);
    cmd->add_flag("--autopush", a->autopush);
    cmd->add_flag("--pushinfo", a->pushinfo);
    cmd->add_option("--prompts", a->prompts)->check(whole_number(1, 10));
    cmd->add_option("--timeout", a->timeout)->check(whole_number(0, 3600));
    add_config_flag(*cmd, app, "--failmode", "failmode");
    cmd->callback([&app, a] { app.run = [&app, a] { return run_pam(app, *a); }; });
}

} // namespace twofa::cli
