#include "run.hpp"

#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sodium.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace twofa::cli {

namespace {

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    randombytes_buf(raw.data(), raw.size());
    return to_hex(raw);
}

int fail(const std::string& message, const std::string& hint) {
    std::cerr << "twofa-sandbox: error: " << message << " (" << hint << ")\n";
    return 8;
}

// twofa beside this binary (an installed or built pair), else the one on PATH.
std::string find_twofa(const std::string& given) {
    if (!given.empty()) {
        return given;
    }
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto sibling = self.parent_path() / "twofa";
        if (::access(sibling.c_str(), X_OK) == 0) {
            return sibling.string();
        }
    }
    return "twofa";
}

// The program a command names: a path as given, else the first executable regular file of that
// name on PATH (as a shell finds it; there is no shell here). "" when there is none.
std::string resolve(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return ::access(name.c_str(), X_OK) == 0 ? name : "";
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
        std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = end == start ? "." : dirs.substr(start, end - start);
        std::string candidate = dir + "/" + name;
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return "";
}

// A child running program (resolved) with argv, the signals this process blocks unblocked, in
// its own process group when asked (the listener: Ctrl-C at a terminal is for the command).
pid_t spawn(const std::string& program, const std::vector<std::string>& argv, int out_fd,
            int err_fd, bool own_group) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (own_group) {
            ::setpgid(0, 0);
        }
        if (out_fd >= 0) {
            ::dup2(out_fd, STDOUT_FILENO);
        }
        if (err_fd >= 0) {
            ::dup2(err_fd, STDERR_FILENO);
        }
        ::execve(program.c_str(), args.data(), environ);
        std::cerr << "twofa-sandbox: error: cannot run " << argv[0] << ": " << std::strerror(errno)
                  << " (check the command's name and PATH)\n";
        ::_exit(127);
    }
    return pid;
}

// The exit code a shell would report for a wait status.
int exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Listener {
    pid_t pid = -1;
    std::string url; // the callback URL it serves
    std::string listen;

    void stop() const {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
    }
};

// twofa --json serve-callback on a free port; its first line says where.
Listener start_listener(const std::string& twofa, const std::filesystem::path& work) {
    Listener l;
    std::array<int, 2> pipe_fds{};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        return l;
    }
    const std::string log = (work / "listener.log").string();
    FILE* log_file = std::fopen(log.c_str(), "w");
    l.pid = spawn(twofa, {twofa, "--json", "serve-callback", "--listen", "127.0.0.1:0"},
                  pipe_fds[1], log_file != nullptr ? ::fileno(log_file) : -1, true);
    if (log_file != nullptr) {
        (void)std::fclose(log_file); // the child has its own descriptor
    }
    ::close(pipe_fds[1]);
    std::string line;
    char c = 0;
    while (line.size() < 4096 && ::read(pipe_fds[0], &c, 1) == 1 && c != '\n') {
        line += c;
    }
    ::close(pipe_fds[0]);
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_object() && doc.contains("listening")) {
        l.url = doc["listening"].get<std::string>();
        auto start = l.url.find("//") + 2;
        l.listen = l.url.substr(start, l.url.find('/', start) - start);
    }
    return l;
}

// Waits for the command, passing on SIGINT and SIGTERM sent to this process.
int wait_for(pid_t child, const sigset_t& signals) {
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) {
            return exit_code(status);
        }
        timespec tick{0, 100'000'000};
        int sig = ::sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            ::kill(child, sig);
        }
    }
}

} // namespace

namespace {

// Fresh keys for this run (unless given) and the database, in this process's environment,
// which the listener and the command inherit.
void export_keys(SandboxOptions& o, const std::filesystem::path& work) {
    if (o.api_key.empty()) {
        o.api_key = random_hex(16);
    }
    if (o.auth_token.empty()) {
        o.auth_token = random_hex(16);
    }
    const std::map<std::string, std::string> keys = {
        {"AUTHY_API_KEY", o.api_key},
        {"TWILIO_ACCOUNT_SID", "AC" + random_hex(16)},
        {"TWILIO_AUTH_TOKEN", o.auth_token},
        {"TWOFA_VERIFY_SERVICE_SID", "VA00000000000000000000000000000000"},
        {"TWOFA_DB", (work / "twofa.db").string()},
    };
    for (const auto& [name, value] : keys) {
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ::unsetenv("TWOFA_AUTHY_API_KEY"); // AUTHY_API_KEY is the run's key
}

// The twofa to serve callbacks (resolved; "" when there is none), its folder first on PATH so
// the command's `twofa` is the same.
std::string twofa_on_path(const RunOptions& options) {
    std::string twofa = resolve(find_twofa(options.twofa));
    if (!twofa.empty()) {
        const char* path = std::getenv("PATH");
        const std::string dir = std::filesystem::absolute(twofa).parent_path().string();
        ::setenv("PATH", (dir + ":" + (path != nullptr ? path : "/usr/bin:/bin")).c_str(), 1);
    }
    return twofa;
}

// The sandbox on a free port calling the listener back, and the command; its exit code.
int serve_and_run(SandboxOptions o, const Listener& listener, const std::string& program,
                  const RunOptions& options, const sigset_t& signals) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.callback_url = listener.url;
    o.verify_webhook_url = listener.url; // one path: the signature header tells them apart
    Sandbox sandbox(o);
    auto port = sandbox.bind();
    if (!port.ok()) {
        return fail(port.error().message, port.error().hint);
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(*port);
    for (const char* name : {"TWOFA_AUTHY_URL", "TWOFA_VERIFY_URL", "TWOFA_SANDBOX_URL"}) {
        ::setenv(name, url.c_str(), 1);
    }
    ::setenv("TWOFA_CALLBACK_LISTEN", listener.listen.c_str(), 1);
    ::setenv("TWOFA_CALLBACK_PUBLIC_URL", listener.url.c_str(), 1);
    std::thread server([&sandbox] { sandbox.run(); });
    const int code = wait_for(spawn(program, options.command, -1, -1, false), signals);
    sandbox.stop();
    server.join();
    return code;
}

} // namespace

int run_with_sandbox(SandboxOptions o, const RunOptions& options) {
    if (sodium_init() < 0) {
        return fail("libsodium failed to initialise", "report this bug");
    }
    const std::string twofa = twofa_on_path(options);
    if (twofa.empty()) {
        return fail("no twofa program to serve callbacks", "give it with --twofa PATH");
    }
    const std::string program = resolve(options.command.front());
    if (program.empty()) {
        std::cerr << "twofa-sandbox: error: cannot run " << options.command.front()
                  << ": no such program (check the command's name and PATH)\n";
        return 127;
    }
    std::string work_template =
        (std::filesystem::temp_directory_path() / "twofa-sandbox-run.XXXXXX").string();
    if (::mkdtemp(work_template.data()) == nullptr) {
        return fail("cannot make a work folder: " + std::string(std::strerror(errno)),
                    "check TMPDIR");
    }
    const std::filesystem::path work = work_template;
    export_keys(o, work);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &signals, nullptr); // before the sandbox's threads start
    const Listener listener = start_listener(twofa, work);
    const int code = listener.url.empty() ? fail("the callback listener did not start; its log: " +
                                                     (work / "listener.log").string(),
                                                 "give the twofa binary with --twofa PATH")
                                          : serve_and_run(o, listener, program, options, signals);
    listener.stop();
    if (options.keep || listener.url.empty()) { // the log says why it did not start
        std::cerr << "twofa-sandbox: kept " << work.string() << "\n";
    } else {
        std::error_code ec;
        std::filesystem::remove_all(work, ec);
    }
    return code;
}

} // namespace twofa::cli
