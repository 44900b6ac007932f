// Credentials and provider URLs: the API key (environment or a private key file) and the
// checks on what may be sent to a provider.
#include <twofa/config.hpp>

#include "util/fs_util.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

namespace twofa {

Result<std::string> load_api_key(const Config& config) {
    if (config.api_key_env) {
        TRY(check_api_key(*config.api_key_env));
        return *config.api_key_env;
    }
    if (config.api_key_file.empty()) {
        return config_error("no Authy API key",
                            "set AUTHY_API_KEY, or authy.api_key_file in the config file");
    }
    TRY_ASSIGN(std::string key, detail::read_private_file(config.api_key_file));
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
        key.pop_back();
    }
    if (key.empty()) {
        return config_error("API key file " + strip_control(config.api_key_file) + " is empty",
                            "put the key in it");
    }
    TRY(check_api_key(key));
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

Status check_provider_url(const Config& config, const std::string& key) {
    const ConfigKey* k = find_config_key(key);
    const std::string& text = config.*(k->text);
    const Exit code = config.fault_of(key);
    Result<Url> parsed = parse_url(text);
    if (!parsed.ok()) {
        Error e = parsed.error();
        e.code = code;
        return e;
    }
    const Url& url = parsed.value();
    if (url.host.empty() || url.has_user_info) {
        return make_error(code, key + " '" + strip_control(text) + "' has no usable host",
                          "use https://host");
    }
    if (url.scheme == "http" && !is_loopback_host(url.host)) {
        return make_error(code, key + ": plain http:// is allowed only to a loopback host",
                          "use https:// for " + strip_control(url.host));
    }
    return {};
}

} // namespace twofa
