#include "app.hpp"
#include "terminal.hpp"

#include <twofa/time_text.hpp>

#include <ctime>
#include <iostream>
#include <unistd.h>

namespace twofa::cli {

const Config& App::config() {
    if (!m_config) {
        m_config = unwrap(resolve_config(flags, config_path, process_env()));
    }
    return *m_config;
}

Store& App::store() {
    if (!m_store) {
        const Config& c = config();
        StoreOpen mode = !may_create_store ? StoreOpen::existing
                         : c.db_explicit   ? StoreOpen::create
                                           : StoreOpen::create_with_folders;
        m_store = unwrap(open_sqlite_store(c.db_path, mode));
    }
    return *m_store;
}

ClientFactory App::client_factory() {
    return authy_client_factory(config());
}

AuthyClient& App::authy() {
    if (!m_authy) {
        m_authy = unwrap(client_factory()());
    }
    return *m_authy;
}

Logins& App::logins() {
    if (!m_logins) {
        const Config& c = config();
        LoginPolicy policy;
        policy.pending_ttl = c.login_pending_ttl;
        policy.approved_ttl = c.login_approved_ttl;
        policy.throttle.resend_interval = c.resend_interval;
        policy.throttle.password_base_delay = c.password_backoff;
        policy.throttle.user_code_failures = c.user_code_failures;
        policy.throttle.user_lock_seconds = c.user_lock_seconds;
        // Three tries of the provider call, their back-off and a capped Retry-After (5 s).
        policy.check_lease = 3 * ((c.http_timeout_ms + 999) / 1000) + 6;
        policy.failmode_safe = c.failmode_safe;
        policy.onetouch_message = c.onetouch_message;
        policy.onetouch_seconds = c.onetouch_seconds_to_expire;
        ProviderGetter provider = [this]() -> Result<AuthyClient*> {
            try {
                return &authy();
            } catch (const Failure& f) {
                return f.error();
            }
        };
        m_logins = std::make_unique<Logins>(store(), provider, policy, &App::now);
    }
    return *m_logins;
}

std::int64_t App::now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

void App::print_json(const nlohmann::json& doc) const {
    std::cout << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

bool App::fancy() const {
    const char* no_color = std::getenv("NO_COLOR");
    return !json && ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

void add_config_flag(CLI::App& cmd, App& app, const std::string& flag, const std::string& key,
                     const std::string& help) {
    cmd.add_option_function<std::string>(
        flag, [&app, key](const std::string& v) { app.flags[key] = v; }, help);
}

std::string iso_time(std::int64_t unix_seconds) {
    return unix_seconds == 0 ? "" : utc_text(unix_seconds);
}

} // namespace twofa::cli

namespace twofa::cli {

SessionRef resolve_session(App& app, const std::optional<std::string>& flag) {
    if (flag && *flag == "-") {
        return {unwrap(read_stdin_line("session id")), SessionSource::stdin_line};
    }
    if (flag) {
        return {*flag, SessionSource::flag};
    }
    if (const char* env = std::getenv("TWOFA_SESSION"); env != nullptr && *env != '\0') {
        return {env, SessionSource::environment};
    }
    if (auto id = unwrap(load_current_session(app.config().state_dir))) {
        return {*id, SessionSource::file};
    }
    throw Failure(make_error(Exit::not_found, "no current login session",
                             "log in with twofa login EMAIL, or pass --session ID"));
}

void add_session_flag(CLI::App& cmd, std::optional<std::string>& target) {
    auto* id = cmd.add_option_function<std::string>(
        "--session", [&target](const std::string& v) { target = v; },
        "login session id, or - for a line of standard input (default: $TWOFA_SESSION, else "
        "the current session); an id on the command line is visible to other users in ps");
    cmd.add_flag_callback(
           "--session-stdin", [&target] { target = "-"; },
           "read the session id from the first line of standard input")
        ->excludes(id);
}

nlohmann::json session_json(const SessionView& v, bool with_id) {
    nlohmann::json j = {{"email", v.user.email},
                        {"method", v.record.method},
                        {"status", to_string(v.state)},
                        {"expires_at", iso_time(v.record.expires_at)},
                        {"attempts_left", v.attempts_left}};
    if (with_id) {
        j["session"] = v.id;
    }
    return j;
}

std::string clock_text(std::int64_t seconds) {
    if (seconds < 0) {
        seconds = 0;
    }
    auto two = [](std::int64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); };
    if (seconds >= 3600) {
        return std::to_string(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" +
               two(seconds % 60);
    }
    return std::to_string(seconds / 60) + ":" + two(seconds % 60);
}

} // namespace twofa::cli
