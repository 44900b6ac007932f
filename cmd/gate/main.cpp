// twofa-gate: the second factor in front of an SSH session, for sshd's ForceCommand (or an
// authorized_keys command="..."), in the login_duo model. Installed setuid root, it reads the
// root-only store as root, asks the logged-in user for the second factor (a code on the
// terminal, or a push), then gives up root for good and runs the user's shell, or
// SSH_ORIGINAL_COMMAND, with the user's environment minus TWOFA_* and LD_* and no descriptor
// beyond 0-2. Being setuid, it cannot be traced or dumped by the user.
#include "app.hpp"
#include "cli_help.hpp"
#include "harden.hpp"
#include "prompter.hpp"
#include "terminal.hpp"

#include <twofa/gate.hpp>
#include <twofa/validate.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

extern char** environ;

namespace {

using namespace twofa;
using namespace twofa::cli;

constexpr const char* k_system_config = "/etc/twofa/config.toml";

struct GateArgs {
    std::string config = k_system_config;
    std::string non_tty = "refuse"; // a session without a terminal: push, or refuse
    bool nullok = false;
    int prompts = 3;
    int timeout = 0;
};

// The user's environment as sshd gave it, minus what must not reach the session.
std::vector<std::string> session_environment() {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string v = *e;
        if (v.rfind("TWOFA_", 0) != 0 && v.rfind("LD_", 0) != 0) {
            out.push_back(std::move(v));
        }
    }
    return out;
}

std::string env_or(const char* name, const std::string& fallback = "") {
    const char* v = std::getenv(name);
    return v != nullptr ? v : fallback;
}

// A configuration another user could have written would let them approve themselves: it
// must be root's, and neither it nor its folder writable by anyone else.
Status check_config(const std::string& path) {
    for (const std::string& p : {path, path.substr(0, path.rfind('/') + 1)}) {
        struct stat st {};
        if (p.empty() || ::stat(p.c_str(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
            return make_error(Exit::config,
                              "twofa-gate reads only a configuration that root owns and nobody "
                              "else can change: " +
                                  strip_control(p),
                              "chown root and chmod go-w it, or use " +
                                  std::string(k_system_config));
        }
    }
    return {};
}

// Gives up root for the user, for good; false when it could not.
bool drop_to(const passwd& pw) {
    if (::initgroups(pw.pw_name, pw.pw_gid) != 0 || ::setgid(pw.pw_gid) != 0 ||
        ::setuid(pw.pw_uid) != 0) {
        return false;
    }
    return pw.pw_uid == 0 || (::setuid(0) != 0 && ::geteuid() == pw.pw_uid);
}

[[noreturn]] void exec_session(const passwd& pw, const std::vector<std::string>& env,
                               const std::string& command) {
    ::closefrom(3);
    std::string shell = pw.pw_shell != nullptr && *pw.pw_shell != '\0' ? pw.pw_shell : "/bin/sh";
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const auto& e : env) {
        envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    // The home folder, else the root, as login(1) does; where it is when neither works. (A
    // (void) cast does not silence a fortified chdir's unused result.)
    [[maybe_unused]] const bool moved = ::chdir(pw.pw_dir) == 0 || ::chdir("/") == 0;
    std::string login_name = "-" + shell.substr(shell.rfind('/') + 1);
    if (command.empty()) {
        char* argv[] = {login_name.data(), nullptr};
        ::execve(shell.c_str(), argv, envp.data());
    } else {
        std::string dash_c = "-c";
        std::string cmd = command;
        char* argv[] = {shell.data(), dash_c.data(), cmd.data(), nullptr};
        ::execve(shell.c_str(), argv, envp.data());
    }
    std::cerr << "twofa-gate: cannot run " << strip_control(shell) << ": " << std::strerror(errno)
              << "\n";
    std::_Exit(126);
}

int run(App& app, const GateArgs& a, const passwd& pw, const std::vector<std::string>& env,
        const std::string& command, const std::string& rhost, bool tty) {
    GateOptions options{a.nullok, true, app.config().gate_user_map};
    Gate gate(app.logins(), app.store(), options, &App::now);
    FlowOptions flow;
    // On a terminal a push can be left for a code (Enter); without one, only a push can work.
    flow.via = tty ? Via::automatic : Via::onetouch;
    flow.code_prompts = a.prompts;
    flow.wait_limit = a.timeout;
    if (!tty && a.non_tty != "push") {
        throw Failure(make_error(
            Exit::denied, "no terminal for the second factor (scp, sftp, a command without -t)",
            "use ssh -t, or ask for twofa-gate --non-tty push"));
    }
    TerminalPrompter prompter(app, false);
    GateRequest request{pw.pw_name, "twofa-gate", rhost, command};
    GateOutcome out = gate.run(request, prompter, flow);
    if (out.verdict != GateVerdict::allowed && out.verdict != GateVerdict::ignored) {
        throw Failure(out.verdict == GateVerdict::unknown
                          ? make_error(Exit::not_found, "this account has no second factor set up",
                                       "ask an administrator")
                          : out.error);
    }
    if (!drop_to(pw)) {
        throw Failure(make_error(Exit::internal,
                                 "cannot give up root for " + std::string(pw.pw_name),
                                 "check the account"));
    }
    exec_session(pw, env, command);
}

} // namespace

int main(int argc, char** argv) {
    harden_process();
    install_interrupt_handler();
    const uid_t uid = ::getuid();
    struct passwd* found = ::getpwuid(uid);
    if (found == nullptr) {
        std::cerr << "twofa-gate: error: the current user is not in the password database\n";
        return static_cast<int>(Exit::not_found);
    }
    passwd pw = *found;
    std::string name = pw.pw_name, dir = pw.pw_dir, shell = pw.pw_shell;
    pw.pw_name = name.data();
    pw.pw_dir = dir.data();
    pw.pw_shell = shell.data();
    const auto env = session_environment();
    const std::string command = env_or("SSH_ORIGINAL_COMMAND");
    std::string rhost = env_or("SSH_CONNECTION");
    rhost = rhost.substr(0, rhost.find(' '));
    const std::string term = env_or("TERM", "dumb");
    // sshd sets SSH_TTY when it allocated a terminal for the session.
    const bool tty = stdin_is_tty() && !env_or("SSH_TTY").empty();
    // Nothing from the user steers the privileged part: a fixed environment.
    ::clearenv();
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    ::setenv("XDG_DATA_HOME", "/var/lib", 1);
    ::setenv("TERM", term.c_str(), 1);

    App app;
    GateArgs a;
    CLI::App cli{"twofa-gate - the second factor before an SSH session (sshd ForceCommand)",
                 "twofa-gate"};
    cli.set_version_flag("--version", "twofa-gate " TWOFA_VERSION);
    cli.add_option("--config", a.config, "the twofa configuration (root's, not writable by others)")
        ->capture_default_str();
    cli.add_option("--non-tty", a.non_tty, "a session without a terminal: push, or refuse")
        ->check(CLI::IsMember({"push", "refuse"}))
        ->capture_default_str();
    cli.add_flag("--nullok", a.nullok, "let accounts no twofa user guards through");
    cli.add_option("--prompts", a.prompts, "codes one login may try")->check(whole_number(1, 10));
    cli.add_option("--timeout", a.timeout, "seconds to wait for the push or a code")
        ->check(whole_number(0, 3600));
    try {
        cli.parse(argc, argv);
        if (::geteuid() != 0) {
            throw Failure(make_error(Exit::config, "twofa-gate is not setuid root",
                                     "install it mode 4755, owned by root"));
        }
        twofa::cli::unwrap(check_config(a.config));
        app.config_path = a.config;
        return run(app, a, pw, env, command, rhost, tty);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    } catch (const Failure& f) {
        std::cerr << "twofa-gate: error: " << strip_control(f.error().text()) << "\n";
        return static_cast<int>(f.error().code);
    } catch (const std::exception& e) {
        std::cerr << "twofa-gate: error: unexpected: " << strip_control(e.what()) << "\n";
        return static_cast<int>(Exit::internal);
    }
}
