#pragma once
// Settings resolved in one place: command-line flag > environment > TOML file > default.
#include <twofa/result.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twofa {

// Reads one environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
EnvLookup process_env();

struct Config {
    std::string db_path;      // a path or sqlite:///path; never empty after resolve_config
    bool db_explicit = false; // given by flag, environment or file, not the XDG default
    std::string provider = "authy";
    std::string authy_url = "https://api.authy.com";
    // Twilio Verify v2: the base URL, the service, and a credentials file (the credentials
    // themselves come from TWILIO_* in the environment, never from a flag).
    std::string verify_url = "https://verify.twilio.com";
    std::string verify_service_sid;
    std::string verify_credentials_file;
    std::string callback_listen = "127.0.0.1:8080";
    std::string callback_public_url;  // empty: http://LISTEN + the provider's callback path
    bool callback_configured = false; // listen address or public URL set explicitly
    std::string tls_cert;
    std::string tls_key;
    std::string onetouch_message = "Request to log in";
    int onetouch_seconds_to_expire = 120;
    int login_timeout = 0;          // 0: the push's expiry
    int login_pending_ttl = 600;    // seconds a login may wait for its second factor
    int login_approved_ttl = 43200; // seconds an approved login stays approved
    int resend_interval = 30;       // seconds between two codes sent for one login
    int password_backoff = 1;       // first wait after repeated wrong passwords, then doubled
    int audit_keep_days = 0;        // audit events older than this are pruned; 0: kept forever
    int user_code_failures = 10;    // wrong codes across a user's logins before it is locked
    int user_lock_seconds = 0;      // how long that lock lasts; 0: until an administrator unlocks
    std::string failmode = "secure";
    bool failmode_safe = false; // failmode == "safe"
    int http_timeout_ms = 10000;
    int connect_timeout_ms = 5000;
    std::string state_dir; // $XDG_STATE_HOME/twofa; "" when neither it nor HOME is set
    // Offline TOTP: the key that seals the secrets, and new factors' parameters.
    std::string totp_key_file; // default $XDG_DATA_HOME/twofa/totp.key; "" without HOME
    std::string totp_issuer = "twofa";
    std::string totp_algorithm = "sha1";
    int totp_digits = 6;
    int totp_period = 30;
    int totp_window = 1; // time steps accepted either side of now
    // Gated Unix logins: the email of an account no user names ("{user}@example.com").
    std::string gate_user_map;
    // Security events (the audit trail) also go to syslog / the journal: the facility
    // ("off": not at all) and the datagram socket of the local syslog daemon.
    std::string syslog_facility = "authpriv";
    std::string syslog_socket = "/dev/log";

    // Where the API key comes from: an environment value, or a key file path.
    std::optional<std::string> api_key_env;
    std::string api_key_file;
    // TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET, when set.
    std::map<std::string, std::string> twilio_env;
    std::string config_file; // the file that was read, empty if none
    // Where each key's value came from: "flag", "environment", "file" (absent: the default).
    std::map<std::string, std::string> sources;

    // Whose fault a bad value of key is: the command line's (Exit::usage) when a flag gave it,
    // the configuration's (Exit::config) when the environment or the file did.
    Exit fault_of(const std::string& key) const {
        auto it = sources.find(key);
        return it != sources.end() && it->second == "flag" ? Exit::usage : Exit::config;
    }
};

// One setting of the declarative table that the loader, --help and `status --health` read.
struct ConfigKey {
    const char* key;                     // "login.pending_ttl": the TOML path and flag key
    const char* env;                     // its environment variable, or nullptr
    std::string Config::*text = nullptr; // a text setting's field, or
    int Config::*number = nullptr;       // a number's field, within [lo, hi]
    long lo = 0;
    long hi = 0;
    const char* choices = nullptr; // "secure|safe", "6|8": the only values it takes
    const char* help = "";         // one line for --help and the health report
    bool secret_path = false;      // shown, but names where a secret lives
};

// Every setting, in the order the documentation lists them.
const std::vector<ConfigKey>& config_keys();
// The key's entry, or nullptr.
const ConfigKey* find_config_key(std::string_view key);
// The key's current value as text (for reports).
std::string config_value(const Config& config, const ConfigKey& key);

// Values given on the command line, by config key ("db", "authy.url", "callback.listen", ...).
using FlagValues = std::map<std::string, std::string>;

// Resolves every setting. Fails with Exit::config for an unreadable or malformed config
// file, or a value of the wrong type; with Exit::usage for a bad value given as a flag.
Result<Config> resolve_config(const FlagValues& flags,
                              const std::optional<std::string>& config_flag, const EnvLookup& env);

// The Authy API key: from the environment, else the key file (which must not be readable or
// writable by group or others). Exit::config when there is none or the file is insecure.
Result<std::string> load_api_key(const Config& config);

// Exit::config unless the key is 1-256 printable ASCII characters (it is sent in a header).
Status check_api_key(std::string_view key);

// Checks the provider base URL setting key (authy.url, verify.url): https, or http only to a
// loopback host. Otherwise Exit::usage when it came from a flag, Exit::config when from the
// environment or the file.
Status check_provider_url(const Config& config, const std::string& key);

} // namespace twofa
