#pragma once
// Shared state of one twofa run: global flags, the composition root (store, provider and use
// cases, made on first use), output.
#include <twofa/config.hpp>
#include <twofa/login.hpp>
#include <twofa/runtime.hpp>
#include <twofa/store.hpp>
#include <twofa/users.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace twofa::cli {

// Unwraps a Result, throwing its Error to main's one catch (which adds the command's own hint
// for the error's Cause).
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
    // Set by the commands that write (user add, user import, serve-callback): only they may
    // create a missing database; every other command needs an existing one.
    bool may_create_store = false;
    // The chosen command sets this; main runs it and exits with what it returns.
    std::function<int()> run;
    // The line's second word ("list" in `twofa user list`), empty when it has none. A command
    // with subcommands builds only the one it names (see builds_subcommand).
    std::string_view second_word;

    const Config& config();
    Runtime& runtime();
    // The runtime, or why there is none (a bad configuration), without throwing.
    Result<Runtime*> try_runtime();
    Store& store();
    // The configured provider (new users get it), or a user's own by name.
    SecondFactor& provider();
    SecondFactor& provider(std::string_view name);
    // The configured provider's description (no credentials needed), or a user's.
    const ProviderInfo& provider_info();
    static const ProviderInfo& provider_info(std::string_view name);
    Logins& logins();
    static std::int64_t now();

    // Prints one JSON document on stdout.
    void print_json(const nlohmann::json& doc) const;
    // A spinner and progress bars (drawn on stderr) only on a terminal there, and not with
    // --json, NO_COLOR or TERM=dumb.
    bool fancy() const;

  private:
    std::unique_ptr<Runtime> m_runtime;
};

// {"code","name","message"[,"hint"]}: what went wrong, and (when there is one) what to do.
nlohmann::json error_json(const Error& e);

// Where a session id came from.
enum class SessionSource { flag, stdin_line, environment, file };

struct SessionRef {
    std::string id;
    SessionSource source = SessionSource::file;
};

// The session to act on: --session (from stdin when it is "-"), else $TWOFA_SESSION, else
// the current-session file.
// Exit::not_found when there is none.
SessionRef resolve_session(App& app, const std::optional<std::string>& flag);

// Adds --session ID and --session-stdin to a command.
void add_session_flag(CLI::App& cmd, std::optional<std::string>& target);

// {"email","method","status","expires_at","attempts_left"} (+ "session" when given).
nlohmann::json session_json(const SessionView& view, bool with_id = false);

// The provider's user id as --json shows it, under ProviderInfo::user_id_key: a number when
// the provider's ids are numbers.
nlohmann::json provider_user_value(const ProviderInfo& info, const std::string& id);

// A user as --json shows it: email, name, provider, the provider's id, phone (masked unless
// full_phone), status.
nlohmann::json user_json(const UserRecord& user, bool full_phone);

// user list --json, a user at a time: append() adds the user's entry (user_json with
// "locked" and "created_at") to out, byte for byte what the document's dump would write,
// without building one.
class UserListJson {
  public:
    void append(std::string& out, const UserRecord& user);

  private:
    static constexpr std::size_t k_fields = 10;  // user_json's 8, "locked" and "created_at"
    std::string m_provider;                      // whose keys m_order sorts
    std::array<std::size_t, k_fields> m_order{}; // of the fields, by key
    std::array<std::string, k_fields> m_prefix;  // each key in that order, quoted, with the
                                                 // '{' or ',' before it and the ':' after it
    std::int64_t m_now = App::now();             // "locked" at the listing's start
};

// Whether a command with subcommands (`names`, each built by the caller only when this says
// so) builds `name`: the one the line names, or all when it names none of them (for help, and
// for a misspelling's suggestion).
bool builds_subcommand(const App& app, std::span<const std::string_view> names,
                       std::string_view name);

// The phone as shown: "" when the user has none (TOTP users need none); masked unless full.
std::string phone_text(const UserRecord& user, bool full);
// Locked at `now`: by a lock that has not run out, or by its state. A listing reads the clock
// once (the same instant for every user); locked_now for one user.
bool locked_at(const UserRecord& user, std::int64_t now);
bool locked_now(const UserRecord& user);

// What an enrollment hands out once (TOTP): a QR code on a terminal (qr: auto, large,
// compact or none), the secret, the key URI and the recovery codes; with --json, these keys
// are added to doc instead.
void show_app_secret(const AppSecret& secret, const std::string& email, const std::string& qr,
                     nlohmann::json* doc);

// The new password: one stdin line, or asked twice on the terminal; validated.
std::string obtain_password(bool from_stdin, const std::string& email);

// Adds --qr MODE to a command that shows an app secret.
void add_qr_flag(CLI::App& cmd, std::string& target);

// "9:32" for a number of seconds.
std::string clock_text(std::int64_t seconds);

// Adds a flag that overrides a config key; its help is the key's, from the settings table.
void add_config_flag(CLI::App& cmd, App& app, const std::string& flag, const std::string& key);

// The settings table as --help's footer: each key, its environment variable and its help.
std::string settings_help();

// The error with this command line's hint for its Cause (the library's hints name no command).
Error with_cli_hint(Error error);

// Time as ISO 8601 UTC ("2026-11-25T17:13:31Z"); "" for 0.
std::string iso_time(std::int64_t unix_seconds);

// Registration of each command group.
void register_user(CLI::App& root, App& app);
void register_user_import(CLI::App& user_cmd, App& app);
void register_user_totp(CLI::App& user_cmd, App& app);
void register_login(CLI::App& root, App& app);
void register_verify(CLI::App& root, App& app);
void register_resend(CLI::App& root, App& app);
void register_logout(CLI::App& root, App& app);
void register_db(CLI::App& root, App& app);
void register_audit(CLI::App& root, App& app);
void register_status(CLI::App& root, App& app);
void register_serve_callback(CLI::App& root, App& app);
void register_pam_helper(CLI::App& root, App& app);

} // namespace twofa::cli
