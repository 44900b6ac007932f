// The settings table: every configuration key with its environment variable, field, bounds
// and help, in one place.
#include <twofa/config.hpp>

namespace twofa {

namespace {

// The store, the provider and its own settings.
std::vector<ConfigKey> provider_keys() {
    return {
        {"db", "TWOFA_DB", &Config::db_path, nullptr, 0, 0, nullptr,
         "the store: a path, sqlite:///path or postgresql://USER@HOST/DB "
         "(default $XDG_DATA_HOME/twofa/twofa.db)"},
        {"provider", "TWOFA_PROVIDER", &Config::provider, nullptr, 0, 0, nullptr,
         "the second-factor provider of new users (authy, verify, totp)"},
        {"failmode", nullptr, &Config::failmode, nullptr, 0, 0, "secure|safe",
         "provider unreachable: refuse the login (secure) or let it through, audited (safe)"},
        {"authy.url", "TWOFA_AUTHY_URL", &Config::authy_url, nullptr, 0, 0, nullptr,
         "Authy API base URL (https, or http to loopback)"},
        {"authy.api_key_file", "TWOFA_AUTHY_API_KEY_FILE", &Config::api_key_file, nullptr, 0, 0,
         nullptr, "file holding the Authy API key (mode 0600)", true},
        {"authy.timeout_ms", "TWOFA_AUTHY_TIMEOUT_MS", nullptr, &Config::http_timeout_ms, 100,
         120000, nullptr, "milliseconds a provider call may take"},
        {"authy.connect_timeout_ms", nullptr, nullptr, &Config::connect_timeout_ms, 100, 60000,
         nullptr, "milliseconds to connect to the provider"},
        {"verify.url", "TWOFA_VERIFY_URL", &Config::verify_url, nullptr, 0, 0, nullptr,
         "Twilio Verify base URL (https, or http to loopback)"},
        {"verify.service_sid", "TWOFA_VERIFY_SERVICE_SID", &Config::verify_service_sid, nullptr, 0,
         0, nullptr, "the Verify Service SID (VA + 32 hex digits)"},
        {"verify.credentials_file", "TWOFA_VERIFY_CREDENTIALS_FILE",
         &Config::verify_credentials_file, nullptr, 0, 0, nullptr,
         "file (0600) of account_sid and auth_token, or api_key and api_secret", true},
        {"totp.key_file", "TWOFA_TOTP_KEY_FILE", &Config::totp_key_file, nullptr, 0, 0, nullptr,
         "file (0600) of the key sealing TOTP secrets (default $XDG_DATA_HOME/twofa/totp.key)",
         true},
        {"totp.issuer", nullptr, &Config::totp_issuer, nullptr, 0, 0, nullptr,
         "the issuer an authenticator app shows beside the account"},
        {"totp.algorithm", nullptr, &Config::totp_algorithm, nullptr, 0, 0, "sha1|sha256|sha512",
         "HMAC of new TOTP factors"},
        {"totp.digits", nullptr, nullptr, &Config::totp_digits, 6, 8, "6|8",
         "digits of new TOTP factors' codes (6 or 8)"},
        {"totp.period", nullptr, nullptr, &Config::totp_period, 15, 120, nullptr,
         "seconds per TOTP time step of new factors"},
        {"totp.window", nullptr, nullptr, &Config::totp_window, 0, 2, nullptr,
         "TOTP time steps accepted either side of now"},
        {"gate.user_map", nullptr, &Config::gate_user_map, nullptr, 0, 0, nullptr,
         "pam_twofa/twofa-gate: email of an account no user names, e.g. {user}@example.com"},
    };
}

// The callback listener and the login policy.
std::vector<ConfigKey> listener_and_login_keys() {
    return {
        {"callback.listen", "TWOFA_CALLBACK_LISTEN", &Config::callback_listen, nullptr, 0, 0,
         nullptr, "HOST:PORT the callback listener binds (default 127.0.0.1:8080)"},
        {"callback.public_url", "TWOFA_CALLBACK_PUBLIC_URL", &Config::callback_public_url, nullptr,
         0, 0, nullptr,
         "the exact callback URL the provider signs (default http://LISTEN/ + its path)"},
        {"callback.tls_cert", nullptr, &Config::tls_cert, nullptr, 0, 0, nullptr,
         "PEM certificate for HTTPS"},
        {"callback.tls_key", nullptr, &Config::tls_key, nullptr, 0, 0, nullptr,
         "PEM private key for HTTPS", true},
        {"onetouch.message", nullptr, &Config::onetouch_message, nullptr, 0, 0, nullptr,
         "the push's message on the phone"},
        {"onetouch.seconds_to_expire", nullptr, nullptr, &Config::onetouch_seconds_to_expire, 1,
         86400, nullptr, "seconds a push may wait for an answer"},
        {"login.timeout", nullptr, nullptr, &Config::login_timeout, 1, 86400, nullptr,
         "seconds twofa login waits for the push or the code (default: the expiry)"},
        {"login.pending_ttl", nullptr, nullptr, &Config::login_pending_ttl, 1, 86400, nullptr,
         "seconds a login may wait for its second factor"},
        {"login.approved_ttl", nullptr, nullptr, &Config::login_approved_ttl, 60, 30L * 86400,
         nullptr, "seconds an approved login stays approved"},
        {"login.resend_interval", nullptr, nullptr, &Config::resend_interval, 0, 3600, nullptr,
         "seconds between two codes sent for one login"},
        {"login.password_backoff", nullptr, nullptr, &Config::password_backoff, 1, 900, nullptr,
         "first wait after repeated wrong passwords, then doubled"},
        {"login.user_code_failures", nullptr, nullptr, &Config::user_code_failures, 1, 1000,
         nullptr, "wrong codes across a user's logins before the user is locked"},
        {"login.user_lock_seconds", nullptr, nullptr, &Config::user_lock_seconds, 0, 30L * 86400,
         nullptr, "how long that lock lasts; 0: until an administrator unlocks"},
        {"audit.keep_days", nullptr, nullptr, &Config::audit_keep_days, 0, 36500, nullptr,
         "days audit events are kept (the listener prunes older ones hourly; twofa audit "
         "prune); 0: forever"},
        {"syslog.facility", "TWOFA_SYSLOG_FACILITY", &Config::syslog_facility, nullptr, 0, 0,
         "authpriv|auth|daemon|user|local0|local1|local2|local3|local4|local5|local6|local7|off",
         "syslog facility of security events (logins, lockouts, failmode passes); off: none"},
        {"syslog.socket", "TWOFA_SYSLOG_SOCKET", &Config::syslog_socket, nullptr, 0, 0, nullptr,
         "the syslog daemon's datagram socket (the journal listens there too)"},
    };
}

} // namespace

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = [] {
        std::vector<ConfigKey> all = provider_keys();
        auto rest = listener_and_login_keys();
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    }();
    return keys;
}

const ConfigKey* find_config_key(std::string_view key) {
    for (const ConfigKey& k : config_keys()) {
        if (key == k.key) {
            return &k;
        }
    }
    return nullptr;
}

std::string config_value(const Config& config, const ConfigKey& key) {
    return key.text != nullptr ? config.*key.text : std::to_string(config.*key.number);
}

} // namespace twofa
