// Credentials and provider URLs: the API key (environment or a private key file) and the
// checks on what may be sent to a provider.
#include <twofa/config.hpp>

#include "util/fs_util.hpp"

#include <twofa/validate.hpp>

namespace twofa {

namespace {

Error config_error(const std::string& message, const std::string& hint) {
    return make_error(Exit::config, message, hint);
}

} // namespace

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
