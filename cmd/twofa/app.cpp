#include "app.hpp"

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
        m_store = unwrap(open_sqlite_store(config().db_path));
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
    if (unix_seconds == 0) {
        return "";
    }
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) {
        return "";
    }
    char buf[32];
    return std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? "" : buf;
}

} // namespace twofa::cli
