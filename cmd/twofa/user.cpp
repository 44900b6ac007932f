// twofa user add | list | show | remove | set | unlock (import and totp: their own files)
#include "app.hpp"

#include "terminal.hpp"
#include <array>

#include <twofa/password.hpp>
#include <twofa/validate.hpp>

#include <array>
#include <iomanip>
#include <iostream>

namespace twofa::cli {

using nlohmann::json;

std::string obtain_password(bool from_stdin, const std::string& email) {
    std::string pw;
    if (from_stdin) {
        pw = unwrap(read_stdin_line("password"));
    } else {
        if (!stdin_is_tty()) {
            throw Failure(make_error(Exit::usage, "no terminal to ask for the password",
                                     "pipe it in with --password-stdin"));
        }
        pw = unwrap(read_secret("Password for " + email + ": "));
        if (unwrap(read_secret("Repeat the password: ")) != pw) {
            throw Failure(make_error(Exit::usage, "the passwords do not match", "try again"));
        }
    }
    unwrap(validate_new_password(pw, email));
    return pw;
}

namespace {

struct AddOptions {
    NewUserFields fields;
    std::string provider; // empty: the configured one
    std::string qr = "auto";
    bool password_stdin = false;
    bool install_link = false;
    bool if_not_exists = false;
};

int run_add(App& app, const AddOptions& o) {
    const std::string& name = o.provider.empty() ? app.config().provider : o.provider;
    const ProviderInfo& info = App::provider_info(name);
    auto user = unwrap(validate_user_fields(o.fields, info.offers(Channel::sms)));
    Store& store = app.store();
    if (auto existing = unwrap(store.find_user(user.email))) {
        if (!o.if_not_exists) {
            throw Failure(make_error(Exit::conflict,
                                     "user " + existing->email + " is already enrolled",
                                     "use --if-not-exists to accept that"));
        }
        app.json ? app.print_json(user_json(*existing, false))
                 : void(std::cout << "User " << existing->email << " is already enrolled.\n");
        return 0;
    }
    SecondFactor& provider = app.provider(name); // fails before the prompt without credentials
    std::string pw = obtain_password(o.password_stdin, user.email);
    std::string hash = unwrap(hash_password(pw));
    auto out = unwrap(
        enroll_user(store, provider, user, hash, o.install_link, o.if_not_exists, App::now()));
    json doc = user_json(out.user, false);
    if (!app.json && out.created) {
        std::string phone = phone_text(out.user, false);
        std::cout << "Enrolled " << out.user.email << " (" << info.display << " id "
                  << out.user.provider_user << (phone.empty() ? "" : ", " + phone) << ").\n";
    } else if (!app.json) {
        std::cout << "User " << out.user.email << " is already enrolled.\n";
    }
    if (out.secret) {
        show_app_secret(*out.secret, out.user.email, o.qr, app.json ? &doc : nullptr);
    }
    if (app.json) {
        app.print_json(doc);
    }
    return 0;
}

// The table of `user list`, printed as the users come: column widths are taken from the first
// rows (all of them in a list of up to a thousand), so memory stays the same however many.
class UserTable {
  public:
    void add(UserRecord&& u) {
        if (m_sized) {
            print(u);
        } else if (m_first.push_back(std::move(u)); m_first.size() == k_sample) {
            flush();
        }
        ++m_count;
    }
    void finish() {
        flush();
        std::cout << m_count << (m_count == 1 ? " user\n" : " users\n");
    }
    std::size_t count() const { return m_count; }

  private:
    static constexpr std::size_t k_sample = 1000;
    void flush() {
        if (m_sized) {
            return;
        }
        for (const auto& u : m_first) {
            m_email = std::max(m_email, u.email.size());
            m_id = std::max(m_id, u.provider_user.size());
        }
        m_sized = true;
        std::cout << std::left << std::setw(static_cast<int>(m_email) + 2) << "EMAIL"
                  << std::setw(20) << "PHONE" << std::setw(10) << "PROVIDER"
                  << std::setw(static_cast<int>(m_id) + 2) << "ID" << std::setw(12) << "STATUS"
                  << "NAME\n";
        for (const auto& u : m_first) {
            print(u);
        }
        m_first.clear();
    }
    void print(const UserRecord& u) const {
        std::cout << std::setw(static_cast<int>(m_email) + 2) << u.email << std::setw(20)
                  << phone_text(u, false) << std::setw(10) << u.provider
                  << std::setw(static_cast<int>(m_id) + 2) << u.provider_user << std::setw(12)
                  << (locked_at(u, m_now) ? "locked" : to_string(u.status)) << u.name << "\n";
    }

    std::int64_t m_now = App::now(); // "locked" at the listing's start
    std::vector<UserRecord> m_first;
    bool m_sized = false;
    std::size_t m_email = 5;
    std::size_t m_id = 10;
    std::size_t m_count = 0;
};

// Streams the users from one query: the same output as building the list first, in memory
// one page of rows whatever the number of users.
int run_list(App& app) {
    Store& store = app.store(); // opened (or its error out) before any output
    if (app.json) {
        bool first = true;
        std::cout << "[";
        std::string entry;
        UserListJson writer;
        unwrap(store.each_user(false, [&](UserRecord&& u, std::optional<SessionRecord>&&) {
            entry.assign(first ? "" : ",");
            writer.append(entry, u);
            std::cout << entry;
            first = false;
            return Status{};
        }));
        std::cout << "]" << std::endl;
        return 0;
    }
    UserTable table;
    unwrap(store.each_user(false, [&](UserRecord&& u, std::optional<SessionRecord>&&) {
        table.add(std::move(u));
        return Status{};
    }));
    if (table.count() == 0) {
        std::cout << "No users enrolled. Add one with: twofa user add --email E --phone P "
                     "--country-code N\n";
        return 0;
    }
    table.finish();
    return 0;
}

int run_show(App& app, const std::string& email, bool remote) {
    auto u = unwrap(get_user(app.store(), email));
    const ProviderInfo& info = App::provider_info(u.provider);
    json j = user_json(u, true);
    j["e164"] = u.phone.empty() ? "" : "+" + std::to_string(u.country_code) + u.phone;
    j["locked"] = locked_now(u);
    j["failed_logins"] = u.failed_logins;
    j["locked_until"] = iso_time(u.locked_until);
    j["password"] = password_hash_kind(u.password_hash);
    j["created_at"] = iso_time(u.created_at);
    j["updated_at"] = iso_time(u.updated_at);
    if (remote) {
        auto d = unwrap(app.provider(u.provider).devices(u.provider_user));
        j["remote"] = {{"registered", d.has_app},
                       {"confirmed", d.confirmed},
                       {"account_disabled", d.disabled},
                       {"devices", d.devices},
                       {"phone_number", d.phone}};
        if (d.recovery_codes_left >= 0) {
            j["remote"]["recovery_codes_left"] = d.recovery_codes_left;
        }
    }
    if (app.json) {
        app.print_json(j);
        return 0;
    }
    std::cout << std::left << "Email:        " << u.email << "\n"
              << "Name:         " << u.name << "\n"
              << "Phone:        " << phone_text(u, true) << "\n"
              << "Provider:     " << info.display << "\n"
              << std::setw(14) << (info.display + " id:") << u.provider_user << "\n"
              << "Status:       " << to_string(u.status) << (locked_now(u) ? " (locked)" : "")
              << "\n"
              << "Password:     " << password_hash_kind(u.password_hash) << "\n"
              << "Unix user:    " << (u.unix_user.empty() ? "(none)" : u.unix_user) << "\n"
              << "Failed logins:"
              << " " << u.failed_logins << "\n"
              << "Created:      " << iso_time(u.created_at) << "\n";
    if (remote) {
        const auto& r = j["remote"];
        std::cout << std::setw(14) << (info.display + " app:")
                  << (r["registered"].get<bool>() ? "installed" : "not installed")
                  << (r["confirmed"].get<bool>() ? "" : " (not confirmed)") << "\n"
                  << "Devices:      " << (r["devices"].empty() ? "none" : r["devices"].dump())
                  << "\n";
        if (r.contains("recovery_codes_left")) {
            std::cout << "Recovery codes left: " << r["recovery_codes_left"].get<int>() << "\n";
        }
    }
    return 0;
}

int run_remove(App& app, const std::string& email, bool yes) {
    auto u = unwrap(get_user(app.store(), email));
    if (!yes) {
        if (!stdin_is_tty()) {
            throw Failure(make_error(Exit::usage,
                                     "refusing to remove " + u.email + " without confirmation",
                                     "add --yes"));
        }
        auto answer = unwrap(read_tty_line("Remove " + u.email + " here and at " +
                                           App::provider_info(u.provider).display + "? [y/N] "));
        if (answer != "y" && answer != "Y" && answer != "yes") {
            throw Failure(make_error(Exit::usage, "not removed", "answer y to remove"));
        }
    }
    unwrap(remove_user(app.store(), app.runtime().providers(), u.email, App::now()));
    app.json ? app.print_json({{"email", u.email}, {"removed", true}})
             : void(std::cout << "Removed " << u.email << ".\n");
    return 0;
}

int run_set(App& app, const std::string& email, const std::string& unix_user) {
    auto u = unwrap(set_unix_user(app.store(), email, unix_user, App::now()));
    app.json ? app.print_json(user_json(u, false))
             : void(std::cout << (u.unix_user.empty()
                                      ? "Cleared the Unix user of " + u.email
                                      : "Unix user " + u.unix_user + " is guarded by " + u.email)
                              << ".\n");
    return 0;
}

int run_unlock(App& app, const std::string& email) {
    auto u = unwrap(unlock_user(app.store(), email, App::now()));
    app.json
        ? app.print_json({{"email", u.email}, {"status", to_string(u.status)}, {"locked", false}})
        : void(std::cout << "Unlocked " << u.email << ".\n");
    return 0;
}

void register_user_add(CLI::App& user, App& app) {
    auto add = std::make_shared<AddOptions>();
    auto* cmd = user.add_subcommand("add", "register a user with the provider and store it");
    cmd->add_option("--email", add->fields.email, "email address (unique)")->required();
    cmd->add_option("--phone", add->fields.phone,
                    "mobile number without country code (not needed for totp)");
    cmd->add_option("--country-code", add->fields.country_code, "country calling code, 1-999");
    cmd->add_option("--provider", add->provider,
                    "the user's second-factor provider (default: the provider setting)")
        ->check(CLI::IsMember(Runtime::provider_names()));
    add_qr_flag(*cmd, add->qr);
    add_config_flag(*cmd, app, "--totp-algorithm", "totp.algorithm");
    add_config_flag(*cmd, app, "--totp-digits", "totp.digits");
    add_config_flag(*cmd, app, "--totp-period", "totp.period");
    add_config_flag(*cmd, app, "--totp-window", "totp.window");
    cmd->add_option("--name", add->fields.name, "full name");
    cmd->add_option("--unix-user", add->fields.unix_user,
                    "the Unix account whose logins (pam_twofa) this user guards");
    cmd->add_flag("--password-stdin", add->password_stdin, "read the password from one stdin line");
    cmd->add_flag("--send-install-link", add->install_link,
                  "have the provider text an app install link");
    cmd->add_flag("--if-not-exists", add->if_not_exists, "exit 0 when the email is enrolled");
    cmd->callback([&app, add] {
        app.may_create_store = true;
        app.run = [&app, add] { return run_add(app, *add); };
    });
}

// show, remove, set and unlock: one user's, named by email (those that `builds`).
void register_user_by_email(CLI::App& user, App& app,
                            const std::function<bool(std::string_view)>& builds) {
    auto email = std::make_shared<std::string>();
    // The subcommand, with its one positional argument; nullptr when it is not built.
    auto add = [&](const char* name, const char* description) -> CLI::App* {
        if (!builds(name)) {
            return nullptr;
        }
        auto* cmd = user.add_subcommand(name, description);
        cmd->add_option("email", *email, "the user's email")->required();
        return cmd;
    };
    if (auto* cmd = add("show", "one user's details (full phone number)")) {
        auto remote = std::make_shared<bool>(false);
        cmd->add_flag("--remote", *remote, "also ask the provider for the user's devices");
        cmd->callback([&app, email, remote] {
            app.run = [&app, email, remote] { return run_show(app, *email, *remote); };
        });
    }
    if (auto* cmd = add("remove", "delete a user here and at the provider")) {
        auto yes = std::make_shared<bool>(false);
        cmd->add_flag("--yes,-y", *yes, "do not ask for confirmation");
        cmd->callback([&app, email, yes] {
            app.run = [&app, email, yes] { return run_remove(app, *email, *yes); };
        });
    }
    if (auto* cmd = add("set", "change a user's settings (the Unix user it guards)")) {
        auto unix_user = std::make_shared<std::string>();
        cmd->add_option("--unix-user", *unix_user, "Unix account name; '' clears it")->required();
        cmd->callback([&app, email, unix_user] {
            app.run = [&app, email, unix_user] { return run_set(app, *email, *unix_user); };
        });
    }
    if (auto* cmd = add("unlock", "clear a user's lockout and failed-login count")) {
        cmd->callback(
            [&app, email] { app.run = [&app, email] { return run_unlock(app, *email); }; });
    }
}

} // namespace

void register_user(CLI::App& root, App& app) {
    auto* user = root.add_subcommand("user", "enroll and manage users");
    user->require_subcommand(1);
    // Only the subcommand the line names is built: the others' options and help were a tenth
    // of the page faults of `user list`'s start-up.
    static constexpr std::array<std::string_view, 9> k_subcommands{
        "add", "list", "show", "remove", "set", "unlock", "import", "totp", "recovery-codes"};
    auto builds = [&app](std::string_view name) {
        return builds_subcommand(app, k_subcommands, name);
    };

    if (builds("add")) {
        register_user_add(*user, app);
    }
    if (builds("list")) {
        auto* cmd = user->add_subcommand("list", "list enrolled users");
        cmd->callback([&app] { app.run = [&app] { return run_list(app); }; });
    }

    register_user_by_email(*user, app, builds);
    if (builds("import")) {
        register_user_import(*user, app);
    }
    if (builds("totp") || builds("recovery-codes")) {
        register_user_totp(*user, app); // both
    }
}

} // namespace twofa::cli
