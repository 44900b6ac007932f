// pam_twofa.so: the second factor of a PAM login. A small shim with no twofa code in it: it
// runs `twofa pam-helper` (as the PAM application's user, root for sshd, sudo, su and login)
// with a fixed environment, relays the helper's lines to the PAM conversation and its
// answers back (see cmd/twofa/pam_helper.cpp), and maps the verdict to a PAM code. When the
// whole exchange exceeds timeout= or the conversation fails, the helper is hung up on (so it
// audits the login) and killed 2 s later at most, so sshd is never held much longer.
//
//   auth required pam_twofa.so [config=PATH] [failmode=secure|safe] [nullok] [autopush]
//                              [prompts=N] [timeout=SECS] [groups=G1,G2] [pushinfo]
//                              [helper=PATH]
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef TWOFA_HELPER
#define TWOFA_HELPER "/usr/bin/twofa"
#endif

namespace {

struct Options {
    std::string config = "/etc/twofa/config.toml";
    std::string helper = TWOFA_HELPER;
    std::string failmode; // "" : the config's
    std::string prompts = "3";
    int timeout = 120;
    bool nullok = false;
    bool autopush = false;
    bool pushinfo = false;
    std::vector<std::string> groups;
};

// "key=value": the value when the argument has that key.
const char* value_of(const char* arg, const char* key) {
    std::size_t n = std::strlen(key);
    return std::strncmp(arg, key, n) == 0 ? arg + n : nullptr;
}

std::vector<std::string> split_commas(const std::string& list) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at <= list.size();) {
        std::size_t comma = std::min(list.find(',', at), list.size());
        if (comma > at) {
            out.push_back(list.substr(at, comma - at));
        }
        at = comma + 1;
    }
    return out;
}

bool parse_options(pam_handle_t* pamh, int argc, const char** argv, Options& o) {
    for (int i = 0; i < argc; ++i) {
        const char* a = argv[i];
        const char* v = nullptr;
        if ((v = value_of(a, "config=")) != nullptr) {
            o.config = v;
        } else if ((v = value_of(a, "helper=")) != nullptr) {
            o.helper = v;
        } else if ((v = value_of(a, "failmode=")) != nullptr) {
            o.failmode = v;
        } else if ((v = value_of(a, "prompts=")) != nullptr) {
            o.prompts = v;
        } else if ((v = value_of(a, "timeout=")) != nullptr) {
            o.timeout = std::atoi(v);
        } else if ((v = value_of(a, "groups=")) != nullptr) {
            o.groups = split_commas(v);
        } else if (std::strcmp(a, "nullok") == 0) {
            o.nullok = true;
        } else if (std::strcmp(a, "autopush") == 0) {
            o.autopush = true;
        } else if (std::strcmp(a, "pushinfo") == 0) {
            o.pushinfo = true;
        } else {
            pam_syslog(pamh, LOG_ERR, "unknown option %s", a);
            return false;
        }
    }
    if (o.timeout < 5 || o.timeout > 3600) {
        pam_syslog(pamh, LOG_ERR, "timeout= must be 5 to 3600 seconds");
        return false;
    }
    return true;
}

// Whether the rule applies: no groups= option, or the user is in one of them.
bool in_groups(const char* user, const std::vector<std::string>& groups) {
    if (groups.empty()) {
        return true;
    }
    struct passwd* pw = getpwnam(user);
    if (pw == nullptr) {
        return true; // let the helper say the user is unknown
    }
    int n = 64;
    std::vector<gid_t> gids(static_cast<std::size_t>(n));
    if (getgrouplist(user, pw->pw_gid, gids.data(), &n) < 0) {
        gids.resize(static_cast<std::size_t>(n));
        getgrouplist(user, pw->pw_gid, gids.data(), &n);
    }
    gids.resize(static_cast<std::size_t>(n));
    for (gid_t g : gids) {
        struct group* gr = getgrgid(g);
        for (const auto& name : groups) {
            if (gr != nullptr && name == gr->gr_name) {
                return true;
            }
        }
    }
    return false;
}

std::string item(pam_handle_t* pamh, int type) {
    const void* v = nullptr;
    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == nullptr) {
        return "";
    }
    return static_cast<const char*>(v);
}

pid_t spawn(const Options& o, const std::vector<std::string>& args, int sock) {
    // Built before the fork: the child of a threaded application (sshd's PAM thread, a
    // display manager) may only make async-signal-safe calls, and malloc is not one.
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    // A fixed environment: nothing from the user being gated reaches the helper.
    char* envp[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                    const_cast<char*>("XDG_DATA_HOME=/var/lib"), const_cast<char*>("NO_COLOR=1"),
                    nullptr};
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    dup2(sock, STDIN_FILENO);
    dup2(sock, STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    closefrom(3);
    execve(o.helper.c_str(), argv.data(), envp);
    _exit(127);
}

int pam_code(const std::string& verdict, bool nullok) {
    if (verdict == "allowed") {
        return PAM_SUCCESS;
    }
    if (verdict == "ignored") {
        return nullok ? PAM_IGNORE : PAM_USER_UNKNOWN;
    }
    if (verdict == "unknown") {
        return PAM_USER_UNKNOWN;
    }
    if (verdict == "denied" || verdict == "expired") {
        return PAM_AUTH_ERR;
    }
    if (verdict == "locked") {
        return PAM_MAXTRIES;
    }
    return PAM_AUTHINFO_UNAVAIL; // unavailable, or the helper failed: fail closed
}

// Why an exchange ended with no verdict.
enum class NoVerdict { conversation, timeout, helper };

// Relays the helper's lines until "done"; the verdict, or "" when it never came (and why).
std::string converse(pam_handle_t* pamh, int sock, const Options& o, NoVerdict& why) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(o.timeout);
    std::string buffer;
    while (true) {
        std::size_t nl;
        while ((nl = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            std::size_t sp = line.find(' ');
            std::string kind = line.substr(0, sp);
            std::string text = sp == std::string::npos ? "" : line.substr(sp + 1);
            if (kind == "done") {
                return text;
            }
            if (kind == "info" || kind == "error") {
                pam_prompt(pamh, kind == "info" ? PAM_TEXT_INFO : PAM_ERROR_MSG, nullptr, "%s",
                           text.c_str());
            } else if (kind == "prompt") {
                char* resp = nullptr;
                int r = pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &resp, "%s", text.c_str());
                if (r != PAM_SUCCESS || resp == nullptr) {
                    why = NoVerdict::conversation;
                    return "";
                }
                std::string reply = std::string("answer ") + resp + "\n";
                std::free(resp);
                if (reply.find('\n') != reply.size() - 1) {
                    why = NoVerdict::conversation;
                    return "";
                }
                if (write(sock, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
                    why = NoVerdict::helper;
                    return "";
                }
            }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) {
            pam_syslog(pamh, LOG_WARNING, "no result within timeout=%d s", o.timeout);
            why = NoVerdict::timeout;
            return "";
        }
        pollfd p{sock, POLLIN, 0};
        int n = poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            continue; // the deadline check above ends it
        }
        char chunk[1024];
        ssize_t got = read(sock, chunk, sizeof chunk);
        if (got <= 0 || buffer.size() > 65536) {
            why = NoVerdict::helper;
            return "";
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
    }
}

// How long a helper hung up on may take to record the login and exit.
constexpr std::chrono::milliseconds k_grace{2000};

// Waits for the helper to exit; `bounded`: for the grace period at most, then kills it.
void reap(pid_t pid, bool bounded, int& status) {
    const auto deadline = std::chrono::steady_clock::now() + k_grace;
    while (true) {
        pid_t r = waitpid(pid, &status, bounded ? WNOHANG : 0);
        if (r == pid || (r < 0 && errno != EINTR)) {
            return;
        }
        if (r == 0 && std::chrono::steady_clock::now() >= deadline) {
            kill(pid, SIGKILL);
            bounded = false;
        } else if (r == 0) {
            poll(nullptr, 0, 20);
        }
    }
}

int authenticate(pam_handle_t* pamh, int argc, const char** argv) {
    Options o;
    if (!parse_options(pamh, argc, argv, o)) {
        return PAM_SERVICE_ERR;
    }
    const char* user = nullptr;
    if (pam_get_user(pamh, &user, nullptr) != PAM_SUCCESS || user == nullptr || *user == '\0') {
        return PAM_USER_UNKNOWN;
    }
    if (!in_groups(user, o.groups)) {
        return PAM_IGNORE;
    }
    std::vector<std::string> args{o.helper,    "--config", o.config,    "pam-helper",
                                  "--user",    user,       "--service", item(pamh, PAM_SERVICE),
                                  "--prompts", o.prompts,  "--timeout", std::to_string(o.timeout)};
    if (std::string rhost = item(pamh, PAM_RHOST); !rhost.empty()) {
        args.insert(args.end(), {"--rhost", rhost});
    }
    if (!o.failmode.empty()) {
        args.insert(args.end(), {"--failmode", o.failmode});
    }
    for (auto [on, flag] : {std::pair{o.nullok, "--nullok"}, std::pair{o.autopush, "--autopush"},
                            std::pair{o.pushinfo, "--pushinfo"}}) {
        if (on) {
            args.emplace_back(flag);
        }
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return PAM_SYSTEM_ERR;
    }
    // sshd may ignore SIGCHLD; waitpid needs the default.
    struct sigaction old {
    }, dfl{};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old);
    pid_t pid = spawn(o, args, sv[1]);
    close(sv[1]);
    NoVerdict why = NoVerdict::helper;
    std::string verdict = pid > 0 ? converse(pamh, sv[0], o, why) : "";
    // Hung up on in any case (with a verdict, the helper is exiting). With none, a helper at a
    // prompt reads the end of its input, records the login as denied in the audit trail and
    // exits; one that has not exited within the grace period is killed.
    shutdown(sv[0], SHUT_RDWR);
    close(sv[0]);
    int status = 0;
    if (pid > 0) {
        reap(pid, verdict.empty(), status);
    }
    sigaction(SIGCHLD, &old, nullptr);
    if (verdict.empty()) {
        static constexpr const char* k_why[] = {"the conversation failed", "the timeout passed",
                                                "the helper gave no result"};
        pam_syslog(pamh, LOG_ERR, "twofa pam-helper for %s: %s (exit status %d)", user,
                   k_why[static_cast<int>(why)], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        // A failed conversation or the timeout is a failed login; a helper that could not run
        // or stopped answering fails closed.
        return pid > 0 && why != NoVerdict::helper ? PAM_AUTH_ERR : PAM_AUTHINFO_UNAVAIL;
    }
    return pam_code(verdict, o.nullok);
}

} // namespace

extern "C" {

PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc, const char** argv) {
    return authenticate(pamh, argc, argv);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t*, int, int, const char**) {
    return PAM_SUCCESS;
}

// The account facility: the second factor is checked in auth; here nothing more is needed.
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t*, int, int, const char**) {
    return PAM_SUCCESS;
}

} // extern "C"
