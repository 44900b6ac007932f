// Verify's credentials (environment, else a 0600 file) and the client made from the
// configuration.
#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/provider.hpp>

#include "util/fs_util.hpp"

#include <toml++/toml.h>

#include <map>

namespace twofa::verify {

namespace {

// Sent in a header: printable ASCII only, so nothing can add a header.
Status check_secret(const std::string& name, const std::string& value) {
    if (value.empty() || value.size() > 256) {
        return config_error(name + " is empty or longer than 256 characters",
                            "copy it again from the Twilio console");
    }
    for (char c : value) {
        if (c < 0x21 || c > 0x7e) {
            return config_error(name + " contains a control character, a space or a non-ASCII byte",
                                "copy it again from the Twilio console");
        }
    }
    return {};
}

Result<VerifyCredentials> from_values(const std::map<std::string, std::string>& v,
                                      const std::string& where) {
    auto get = [&](const char* key) {
        auto it = v.find(key);
        return it == v.end() ? std::string() : it->second;
    };
    VerifyCredentials c;
    c.account_sid = get("account_sid");
    c.auth_token = get("auth_token");
    std::string api_key = get("api_key");
    std::string api_secret = get("api_secret");
    if (!is_sid(c.account_sid, "AC")) {
        return config_error("no valid Twilio Account SID in " + where,
                            "it is AC followed by 32 hex digits, from the Twilio console");
    }
    if (!api_key.empty() || !api_secret.empty()) {
        if (!is_sid(api_key, "SK")) {
            return config_error("the Twilio API key in " + where + " is not SK + 32 hex digits",
                                "copy the API key SID from the Twilio console");
        }
        TRY(check_secret("the Twilio API secret", api_secret));
        c.user = api_key;
        c.password = api_secret;
    } else if (c.auth_token.empty()) {
        return config_error("no Twilio Auth Token or API key in " + where,
                            "set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET");
    } else {
        c.user = c.account_sid;
        c.password = c.auth_token;
    }
    if (!c.auth_token.empty()) {
        TRY(check_secret("the Twilio Auth Token", c.auth_token));
    }
    return c;
}

Result<VerifyCredentials> from_file(const std::string& path) {
    TRY_ASSIGN(std::string text, detail::read_private_file(path));
    toml::table parsed;
    try {
        parsed = toml::parse(text, path);
    } catch (const toml::parse_error&) {
        return config_error("credentials file " + strip_control(path) + " is not valid TOML",
                            "write lines like account_sid = \"AC...\" and auth_token = \"...\"");
    }
    std::map<std::string, std::string> values;
    for (const auto& [key, node] : parsed) {
        auto name = std::string(key.str());
        if (name != "account_sid" && name != "auth_token" && name != "api_key" &&
            name != "api_secret") {
            return config_error("unknown key '" + strip_control(name) + "' in " +
                                    strip_control(path),
                                "it takes account_sid, auth_token, api_key and api_secret");
        }
        if (!node.is_string()) {
            return config_error(name + " in " + strip_control(path) + " is not a string",
                                "quote the value");
        }
        values[name] = node.as_string()->get();
    }
    return from_values(values, strip_control(path));
}

} // namespace

Result<VerifyCredentials> load_credentials(const Config& config) {
    const auto& env = config.twilio_env;
    if (env.count("TWILIO_ACCOUNT_SID") != 0U) {
        std::map<std::string, std::string> values;
        for (const auto& [name, key] :
             {std::pair{"TWILIO_ACCOUNT_SID", "account_sid"},
              std::pair{"TWILIO_AUTH_TOKEN", "auth_token"}, std::pair{"TWILIO_API_KEY", "api_key"},
              std::pair{"TWILIO_API_SECRET", "api_secret"}}) {
            if (auto it = env.find(name); it != env.end()) {
                values[key] = it->second;
            }
        }
        return from_values(values, "the environment");
    }
    if (config.verify_credentials_file.empty()) {
        return config_error("no Twilio credentials",
                            "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or "
                            "verify.credentials_file in the config file");
    }
    return from_file(config.verify_credentials_file);
}

Result<std::unique_ptr<VerifyClient>> make_client(const Config& config) {
    TRY(check_provider_url(config, "verify.url"));
    if (!is_sid(config.verify_service_sid, "VA")) {
        return config_error(config.verify_service_sid.empty()
                                ? "no Verify service"
                                : "verify.service_sid is not VA + 32 hex digits",
                            "set TWOFA_VERIFY_SERVICE_SID or verify.service_sid to the "
                            "service's SID from the Twilio console");
    }
    TRY_ASSIGN(VerifyCredentials credentials, load_credentials(config));
    TransportOptions t{config.connect_timeout_ms, config.http_timeout_ms};
    return std::make_unique<VerifyClient>(config.verify_url, config.verify_service_sid,
                                          std::move(credentials), make_curl_transport(t));
}

} // namespace twofa::verify
