// The settings loader: flag > environment > TOML file > default, key by key from the table
// in keys.cpp.
#include <twofa/config.hpp>

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>

namespace twofa {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr || *v == '\0') {
            return std::nullopt;
        }
        return std::string(v);
    };
}

namespace {

struct Sources {
    const FlagValues& flags;
    const EnvLookup& env;
    const toml::table* file;
};

// A flag's bad value is a usage error, the environment's or the file's a configuration one.
Exit fault_of(const Sources& s, const std::string& key) {
    return s.flags.count(key) != 0U ? Exit::usage : Exit::config;
}

// flag > environment > file; nullopt when none has it.
Result<std::optional<std::string>> lookup_string(const Sources& s, const std::string& key,
                                                 const std::string& env_name) {
    if (auto it = s.flags.find(key); it != s.flags.end()) {
        return std::optional<std::string>(it->second);
    }
    if (!env_name.empty()) {
        if (auto v = s.env(env_name)) {
            return std::optional<std::string>(*v);
        }
    }
    if (s.file != nullptr) {
        auto node = s.file->at_path(key);
        if (node) {
            if (auto str = node.value<std::string>(); str && node.is_string()) {
                return std::optional<std::string>(*str);
            }
            return config_error("config key '" + key + "' must be a string", "quote the value");
        }
    }
    return std::optional<std::string>();
}

Result<std::optional<long>> lookup_int(const Sources& s, const std::string& key,
                                       const std::string& env_name, long lo, long hi) {
    std::optional<long> out;
    auto text = lookup_string(s, key, env_name);
    if (!text.ok()) {
        // Not a string in the file: accept a TOML integer.
        auto node = s.file != nullptr ? s.file->at_path(key) : toml::node_view<const toml::node>{};
        if (node && node.is_integer()) {
            out = static_cast<long>(*node.value<int64_t>());
        } else {
            return config_error("config key '" + key + "' must be a whole number", "fix the file");
        }
    } else if (*text) {
        char* end = nullptr;
        errno = 0;
        long v = std::strtol((*text)->c_str(), &end, 10);
        if ((*text)->empty() || *end != '\0' || errno != 0) {
            return make_error(fault_of(s, key),
                              "'" + key + "' must be a whole number, not '" + **text + "'",
                              "give a number");
        }
        out = v;
    }
    if (out && (*out < lo || *out > hi)) {
        return make_error(fault_of(s, key),
                          "'" + key + "' must be between " + std::to_string(lo) + " and " +
                              std::to_string(hi),
                          "fix the value");
    }
    return out;
}

// $XDG_..., else $HOME/fallback; "" when neither is set (never "/": a database or a state file
// must not land in the root folder because a service runs without HOME).
std::string home_relative(const EnvLookup& env, const std::string& xdg,
                          const std::string& fallback) {
    if (auto v = env(xdg); v && !v->empty() && v->front() == '/') {
        return *v;
    }
    if (auto home = env("HOME"); home && !home->empty() && home->front() == '/') {
        return *home + "/" + fallback;
    }
    return "";
}

} // namespace

namespace {

// The config file: the --config flag, else $TWOFA_CONFIG, else the XDG default (which may be
// absent). Nothing when there is no file; Exit::config for a named file that is missing, not
// a regular file, or not valid TOML.
Status read_file(const std::optional<std::string>& config_flag, const EnvLookup& env,
                 toml::table& table, std::string& path_read) {
    std::string path;
    bool explicit_path = true;
    if (config_flag) {
        path = *config_flag;
    } else if (auto v = env("TWOFA_CONFIG")) {
        path = *v;
    } else {
        auto base = home_relative(env, "XDG_CONFIG_HOME", ".config");
        path = base.empty() ? "" : base + "/twofa/config.toml";
        explicit_path = false;
    }
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) {
        if (explicit_path) {
            return config_error("config file " + strip_control(path) + " does not exist",
                                "check the config file's path");
        }
        return {};
    }
    if (!S_ISREG(st.st_mode)) {
        return config_error("config file " + strip_control(path) + " is not a regular file",
                            "point it at a TOML file");
    }
    try {
        table = toml::parse_file(path);
        path_read = path;
        return {};
    } catch (const toml::parse_error& e) {
        return config_error("config file " + strip_control(path) +
                                " is not valid TOML: " + std::string(e.description()),
                            "line " + std::to_string(e.source().begin.line));
    }
}

// Every key in the file is one twofa knows: a misspelt key would otherwise leave its setting at
// the default without a word (dbb = "/x" running on the default database).
Status check_known_keys(const toml::table& table, const std::string& path) {
    std::vector<std::string> known;
    for (const ConfigKey& k : config_keys()) {
        known.emplace_back(k.key);
    }
    std::vector<std::pair<const toml::table*, std::string>> pending{{&table, ""}};
    while (!pending.empty()) {
        auto [t, prefix] = pending.back();
        pending.pop_back();
        for (const auto& [name, node] : *t) {
            const std::string key = prefix + std::string(name.str());
            if (const toml::table* inner = node.as_table()) {
                pending.emplace_back(inner, key + ".");
                continue;
            }
            if (std::find(known.begin(), known.end(), key) != known.end()) {
                continue;
            }
            const std::string guess = closest_name(key, known);
            return config_error("unknown config key '" + strip_control(key) + "' in " +
                                    strip_control(path) + " (line " +
                                    std::to_string(node.source().begin.line) + ")",
                                guess.empty() ? "twofa --help lists the settings"
                                              : "did you mean '" + guess + "'?");
        }
    }
    return {};
}

// Where a key's value came from, as Config::sources names it.
const char* source_of(const Sources& s, const ConfigKey& k) {
    if (s.flags.count(k.key) != 0U) {
        return "flag";
    }
    if (k.env != nullptr && s.env(k.env)) {
        return "environment";
    }
    return "file";
}

// A key with choices takes only those: Exit::usage for a flag (the command line's fault),
// Exit::config otherwise.
Status check_choice(const Sources& s, const ConfigKey& k, const std::string& v) {
    if (k.choices == nullptr) {
        return {};
    }
    std::string all = std::string("|") + k.choices + "|";
    if (all.find("|" + v + "|") != std::string::npos) {
        return {};
    }
    return make_error(fault_of(s, k.key),
                      std::string(k.key) + " must be one of " + k.choices + ", not '" +
                          strip_control(v) + "'",
                      "fix the value");
}

// Applies one key of the table from the first source that has it.
Status apply_key(const Sources& s, const ConfigKey& k, Config& c) {
    if (k.number != nullptr) {
        TRY_ASSIGN(auto v, lookup_int(s, k.key, k.env != nullptr ? k.env : "", k.lo, k.hi));
        if (v) {
            TRY(check_choice(s, k, std::to_string(*v)));
            c.*k.number = static_cast<int>(*v);
            c.sources[k.key] = source_of(s, k);
        }
        return {};
    }
    TRY_ASSIGN(auto v, lookup_string(s, k.key, k.env != nullptr ? k.env : ""));
    if (!v) {
        return {};
    }
    TRY(check_choice(s, k, *v));
    c.*k.text = *v;
    c.sources[k.key] = source_of(s, k);
    return {};
}

// The settings that follow from others.
Status derive(Config& c, const EnvLookup& env) {
    c.db_explicit = c.sources.count("db") != 0U;
    if (c.db_path.empty()) {
        return config_error("no place for the database: HOME and XDG_DATA_HOME are unset",
                            "set HOME, or give the db setting or TWOFA_DB");
    }
    c.failmode_safe = c.failmode == "safe";
    if (c.totp_digits == 7) {
        return make_error(c.fault_of("totp.digits"), "totp.digits must be 6 or 8, not 7",
                          "authenticator apps show 6 or 8");
    }
    c.callback_configured =
        c.sources.count("callback.public_url") != 0U || c.sources.count("callback.listen") != 0U;
    if (c.connect_timeout_ms > c.http_timeout_ms) {
        c.connect_timeout_ms = c.http_timeout_ms;
    }
    // The seed's name first for compatibility, the project's own name wins when both are set.
    c.api_key_env = env("TWOFA_AUTHY_API_KEY");
    if (!c.api_key_env) {
        c.api_key_env = env("AUTHY_API_KEY");
    }
    for (const char* name :
         {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"}) {
        if (auto v = env(name); v && !v->empty()) {
            c.twilio_env[name] = *v;
        }
    }
    return {};
}

} // namespace

Result<Config> resolve_config(const FlagValues& flags,
                              const std::optional<std::string>& config_flag, const EnvLookup& env) {
    Config c;
    toml::table table;
    TRY(read_file(config_flag, env, table, c.config_file));
    if (!c.config_file.empty()) {
        TRY(check_known_keys(table, c.config_file));
    }
    Sources s{flags, env, c.config_file.empty() ? nullptr : &table};
    if (auto data = home_relative(env, "XDG_DATA_HOME", ".local/share"); !data.empty()) {
        c.db_path = data + "/twofa/twofa.db";
        c.totp_key_file = data + "/twofa/totp.key";
    }
    if (auto state = home_relative(env, "XDG_STATE_HOME", ".local/state"); !state.empty()) {
        c.state_dir = state + "/twofa";
    }
    for (const ConfigKey& k : config_keys()) {
        TRY(apply_key(s, k, c));
    }
    TRY(derive(c, env));
    return c;
}

} // namespace twofa
