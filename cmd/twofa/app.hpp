#pragma once
// Shared state of one twofa run: global flags, lazily opened store and Authy client, output.
#include <twofa/config.hpp>
#include <twofa/store.hpp>
#include <twofa/users.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace twofa::cli {

// Unwraps a Result, throwing its Error to main's one catch.
template <class T>
requires(!std::is_void_v<T>) T unwrap(Result<T>&& r) {
    if (!r.ok()) {
        throw Failure(r.error());
    }
    return std::move(r.value());
}
inline void unwrap(const Status& s) {
    if (!s.ok()) {
        throw Failure(s.error());
    }
}

class App {
  public:
    bool json = false;
    std::optional<std::string> config_path;
    FlagValues flags;
    // The chosen command sets this; main runs it and exits with what it returns.
    std::function<int()> run;

    const Config& config();
    Store& store();
    AuthyClient& authy();
    ClientFactory client_factory();
    static std::int64_t now();

    // Prints one JSON document on stdout.
    void print_json(const nlohmann::json& doc) const;
    // Colour and progress only on a terminal, and not with NO_COLOR or --json.
    bool fancy() const;

  private:
    std::optional<Config> m_config;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<AuthyClient> m_authy;
};

// Adds a flag that overrides a config key.
void add_config_flag(CLI::App& cmd, App& app, const std::string& flag, const std::string& key,
                     const std::string& help);

// Time as ISO 8601 UTC ("2026-11-25T17:13:31Z"); "" for 0.
std::string iso_time(std::int64_t unix_seconds);

// Registration of each command group.
void register_user(CLI::App& root, App& app);
void register_user_import(CLI::App& user_cmd, App& app);

} // namespace twofa::cli
