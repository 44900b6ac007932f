#include "app.hpp"
#include "terminal.hpp"

#include <twofa/time_text.hpp>
#include <twofa/util.hpp>

#include <algorithm>
#include <iostream>
#include <unistd.h>

namespace twofa::cli {

Result<Runtime*> App::try_runtime() {
    if (!m_runtime) {
        TRY_ASSIGN(Config c, resolve_config(flags, config_path, process_env()));
        m_runtime = std::make_unique<Runtime>(std::move(c), may_create_store);
    }
    return m_runtime.get();
}

Runtime& App::runtime() {
    return *unwrap(try_runtime());
}

const Config& App::config() {
    return runtime().config();
}

Store& App::store() {
    return *unwrap(runtime().store());
}

SecondFactor& App::provider() {
    return *unwrap(runtime().provider());
}

SecondFactor& App::provider(std::string_view name) {
    return *unwrap(runtime().provider(name));
}

const ProviderInfo& App::provider_info() {
    return *unwrap(runtime().provider_info());
}

const ProviderInfo& App::provider_info(std::string_view name) {
    return *unwrap(Runtime::provider_info(name));
}

Logins& App::logins() {
    return *unwrap(runtime().logins());
}

std::int64_t App::now() {
    return unix_now();
}

void App::print_json(const nlohmann::json& doc) const {
    std::cout << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

bool App::fancy() const {
    return !json && decorations_allowed(STDERR_FILENO);
}

void add_config_flag(CLI::App& cmd, App& app, const std::string& flag, const std::string& key) {
    const ConfigKey* k = find_config_key(key);
    std::string help = k != nullptr ? k->help : "";
    if (k != nullptr && k->env != nullptr) {
        help += " [$" + std::string(k->env) + "; config " + key + "]";
    } else if (k != nullptr) {
        help += " [config " + key + "]";
    }
    auto* option = cmd.add_option_function<std::string>(
        flag, [&app, key](const std::string& v) { app.flags[key] = v; }, help);
    // What --help shows as the value, and what completion offers: the choices, or files.
    if (k != nullptr && k->choices != nullptr) {
        option->type_name(k->choices);
    } else if (key.ends_with("_file") || key.ends_with("tls_cert") || key.ends_with("tls_key")) {
        option->type_name("FILE");
    } else if (key == "db") {
        option->type_name("PATH|URL");
    } else if (key.ends_with("url")) {
        option->type_name("URL");
    } else if (k != nullptr && k->number != nullptr) {
        option->type_name("N");
    }
}

std::string settings_help() {
    std::string out = "Settings (flag > environment > config file > default; see twofa(1)):\n";
    for (const ConfigKey& k : config_keys()) {
        std::string left = "  " + std::string(k.key);
        if (k.env != nullptr) {
            left += " / $" + std::string(k.env);
        }
        left.resize(std::max<std::size_t>(left.size() + 1, 46), ' ');
        out += left + k.help + "\n";
    }
    return out;
}

Error with_cli_hint(Error e) {
    switch (e.cause) {
    case Cause::user_locked:
        e.hint = "ask an administrator to run: twofa user unlock " + e.subject;
        break;
    case Cause::login_over:
        e.hint = "log in again with twofa login";
        break;
    case Cause::no_such_session:
        e.hint = "log in with twofa login, or check --session / TWOFA_SESSION";
        break;
    case Cause::codes_used:
        e.hint = "try again with twofa verify, or get a new code with twofa resend";
        break;
    case Cause::push_open:
        e.hint = "twofa status shows the login; the request is still open";
        break;
    case Cause::none:
        break;
    }
    return e;
}

nlohmann::json error_json(const Error& e) {
    nlohmann::json j = {
        {"code", static_cast<int>(e.code)}, {"name", exit_name(e.code)}, {"message", e.message}};
    if (!e.hint.empty()) {
        j["hint"] = e.hint;
    }
    return j;
}

std::string iso_time(std::int64_t unix_seconds) {
    return unix_seconds == 0 ? "" : utc_text(unix_seconds);
}

bool builds_subcommand(const App& app, std::span<const std::string_view> names,
                       std::string_view name) {
    const bool named = std::find(names.begin(), names.end(), app.second_word) != names.end();
    return !named || app.second_word == name;
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
                        {"method", to_string(v.record.method)},
                        {"status", to_string(v.state)},
                        {"expires_at", iso_time(v.record.expires_at)},
                        {"attempts_left", v.attempts_left}};
    if (with_id) {
        j["session"] = v.id;
    }
    return j;
}

nlohmann::json provider_user_value(const ProviderInfo& info, const std::string& id) {
    if (info.numeric_user_id && !id.empty() && id.size() <= 18 &&
        id.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoll(id);
    }
    return id;
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
