#include <twofa/config.hpp>

#include "util/fs_util.hpp"

#include <twofa/validate.hpp>

#include <toml++/toml.h>

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

Error config_error(const std::string& message, const std::string& hint) {
    return make_error(Exit::config, message, hint);
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
            return make_error(s.flags.count(key) != 0U ? Exit::usage : Exit::config,
                              "'" + key + "' must be a whole number, not '" + **text + "'",
                              "give a number");
        }
        out = v;
    }
    if (out && (*out < lo || *out > hi)) {
        return make_error(s.flags.count(key) != 0U ? Exit::usage : Exit::config,
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

Result<Config> resolve_config(const FlagValues& flags,
                              const std::optional<std::string>& config_flag, const EnvLookup& env) {
    Config c;
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
    toml::table table;
    bool have_file = false;
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            return config_error("config file " + strip_control(path) + " is not a regular file",
                                "point --config / TWOFA_CONFIG at a TOML file");
        }
        try {
            table = toml::parse_file(path);
            have_file = true;
            c.config_file = path;
        } catch (const toml::parse_error& e) {
            return config_error("config file " + strip_control(path) +
                                    " is not valid TOML: " + std::string(e.description()),
                                "line " + std::to_string(e.source().begin.line));
        }
    } else if (explicit_path) {
        return config_error("config file " + strip_control(path) + " does not exist",
                            "check --config / TWOFA_CONFIG");
    }
    Sources s{flags, env, have_file ? &table : nullptr};

    auto set_string = [&](std::string& field, const std::string& key,
                          const std::string& env_name) -> Status {
        auto v = lookup_string(s, key, env_name);
        if (!v.ok()) {
            return v.error();
        }
        if (*v) {
            field = **v;
        }
        return {};
    };
    auto set_int = [&](int& field, const std::string& key, const std::string& env_name, long lo,
                       long hi) -> Status {
        auto v = lookup_int(s, key, env_name, lo, hi);
        if (!v.ok()) {
            return v.error();
        }
        if (*v) {
            field = static_cast<int>(**v);
        }
        return {};
    };

    if (auto data = home_relative(env, "XDG_DATA_HOME", ".local/share"); !data.empty()) {
        c.db_path = data + "/twofa/twofa.db";
    }
    if (auto state = home_relative(env, "XDG_STATE_HOME", ".local/state"); !state.empty()) {
        c.state_dir = state + "/twofa";
    }
    const std::string default_db = c.db_path;
    for (const Status& st2 : {
             set_string(c.db_path, "db", "TWOFA_DB"),
             set_string(c.authy_url, "authy.url", "TWOFA_AUTHY_URL"),
             set_string(c.api_key_file, "authy.api_key_file", ""),
             set_string(c.callback_listen, "callback.listen", "TWOFA_CALLBACK_LISTEN"),
             set_string(c.callback_public_url, "callback.public_url", "TWOFA_CALLBACK_PUBLIC_URL"),
             set_string(c.tls_cert, "callback.tls_cert", ""),
             set_string(c.tls_key, "callback.tls_key", ""),
             set_string(c.onetouch_message, "onetouch.message", ""),
             set_int(c.onetouch_seconds_to_expire, "onetouch.seconds_to_expire", "", 1, 86400),
             set_int(c.login_timeout, "login.timeout", "", 1, 86400),
             set_int(c.login_pending_ttl, "login.pending_ttl", "", 1, 86400),
             set_int(c.login_approved_ttl, "login.approved_ttl", "", 60, 30L * 86400),
             set_int(c.resend_interval, "login.resend_interval", "", 0, 3600),
             set_int(c.password_backoff, "login.password_backoff", "", 1, 900),
             set_int(c.user_code_failures, "login.user_code_failures", "", 1, 1000),
             set_int(c.user_lock_seconds, "login.user_lock_seconds", "", 0, 30L * 86400),
             set_int(c.http_timeout_ms, "authy.timeout_ms", "TWOFA_AUTHY_TIMEOUT_MS", 100, 120000),
             set_int(c.connect_timeout_ms, "authy.connect_timeout_ms", "", 100, 60000),
         }) {
        if (!st2.ok()) {
            return st2.error();
        }
    }
    c.db_explicit = c.db_path != default_db;
    if (c.db_path.empty()) {
        return config_error("no place for the database: HOME and XDG_DATA_HOME are unset",
                            "set HOME, or give the database with --db or TWOFA_DB");
    }
    std::string failmode = "secure";
    if (auto st3 = set_string(failmode, "failmode", ""); !st3.ok()) {
        return st3.error();
    }
    if (failmode != "secure" && failmode != "safe") {
        return config_error("failmode must be 'secure' or 'safe', not '" + failmode + "'",
                            "fix the config file");
    }
    c.failmode_safe = failmode == "safe";
    auto listen_given = lookup_string(s, "callback.listen", "TWOFA_CALLBACK_LISTEN");
    c.callback_configured =
        !c.callback_public_url.empty() || (listen_given.ok() && listen_given->has_value());
    if (c.callback_public_url.empty()) {
        c.public_url_derived = true;
        c.callback_public_url = "http://" + c.callback_listen + "/authy/callback";
    }
    if (c.connect_timeout_ms > c.http_timeout_ms) {
        c.connect_timeout_ms = c.http_timeout_ms;
    }
    // The seed's name first for compatibility, the project's own name wins when both are set.
    c.api_key_env = env("TWOFA_AUTHY_API_KEY");
    if (!c.api_key_env) {
        c.api_key_env = env("AUTHY_API_KEY");
    }
    return c;
}

Result<std::string> load_api_key(const Config& config) {
    if (config.api_key_env) {
        if (auto st = check_api_key(*config.api_key_env); !st.ok()) {
            return st.error();
        }
        return *config.api_key_env;
    }
    if (config.api_key_file.empty()) {
        return config_error("no Authy API key",
                            "set AUTHY_API_KEY, or authy.api_key_file in the config file");
    }
    auto content = detail::read_private_file(config.api_key_file);
    if (!content.ok()) {
        return content.error();
    }
    std::string key = *content;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
        key.pop_back();
    }
    if (key.empty()) {
        return config_error("API key file " + strip_control(config.api_key_file) + " is empty",
                            "put the key in it");
    }
    if (auto st = check_api_key(key); !st.ok()) {
        return st.error();
    }
    return key;
}

Status check_api_key(std::string_view key) {
    // It goes into an HTTP header: printable ASCII only, so no CR/LF can add a header.
    for (char c : key) {
        if (c < 0x21 || c > 0x7e) {
            return config_error("the Authy API key contains a control character, a space or a "
                                "non-ASCII byte",
                                "copy the key again from the Twilio console");
        }
    }
    if (key.size() > 256) {
        return config_error("the Authy API key is longer than 256 characters",
                            "copy the key again from the Twilio console");
    }
    return {};
}

Status check_provider_url(const std::string& url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return make_error(Exit::usage, "provider URL '" + strip_control(url) + "' has no scheme",
                          "use https://...");
    }
    std::string scheme = url.substr(0, scheme_end);
    std::string rest = url.substr(scheme_end + 3);
    std::string host = rest.substr(0, rest.find_first_of("/?#"));
    if (host.empty() || host.find('@') != std::string::npos) {
        return make_error(Exit::usage,
                          "provider URL '" + strip_control(url) + "' has no usable host",
                          "use https://host");
    }
    if (scheme == "https") {
        return {};
    }
    if (scheme == "http") {
        std::string name = host;
        if (name.front() == '[') {
            name = name.substr(0, name.find(']') + 1);
        } else {
            name = name.substr(0, name.find(':'));
        }
        if (name == "localhost" || name == "[::1]" || detail::is_ipv4_loopback(name)) {
            return {};
        }
        return make_error(Exit::usage, "plain http:// is allowed only to a loopback host",
                          "use https:// for " + strip_control(name));
    }
    return make_error(Exit::usage,
                      "provider URL scheme '" + strip_control(scheme) + "' is not supported",
                      "use https://");
}

} // namespace twofa
