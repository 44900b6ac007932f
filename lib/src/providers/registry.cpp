#include "providers/registry.hpp"

#include <twofa/authy/provider.hpp>
#include <twofa/totp/provider.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <array>

namespace twofa::providers {

namespace {

Result<std::unique_ptr<SecondFactor>> make_authy(const Config& config,
                                                 const std::function<Result<Store*>()>& /*store*/) {
    return authy::make_client(config).transform(
        [](std::unique_ptr<AuthyClient> c) { return authy::make_provider(std::move(c)); });
}

Result<std::unique_ptr<CallbackVerifier>> authy_verifier(const Config& config,
                                                         CallbackSettings settings) {
    return load_api_key(config).transform([&](std::string key) {
        return authy::make_callback_verifier(std::move(key), std::move(settings));
    });
}

Result<std::unique_ptr<SecondFactor>> make_totp(const Config& config,
                                                const std::function<Result<Store*>()>& store) {
    return totp_adapter::make_provider(config, store, unix_now);
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): the registry's signature
Result<std::unique_ptr<CallbackVerifier>> no_verifier(const Config&, CallbackSettings) {
    return make_error(Exit::usage, "TOTP sends no callbacks",
                      "serve-callback serves the providers with pushes (authy)");
}

const std::array k_entries{
    Entry{authy::provider_info, make_authy, authy_verifier},
    Entry{totp_adapter::provider_info, make_totp, no_verifier},
};

} // namespace

Result<const Entry*> find(std::string_view name) {
    for (const Entry& e : k_entries) {
        if (e.info().name == name) {
            return &e;
        }
    }
    return make_error(Exit::config, "unknown provider '" + strip_control(name) + "'",
                      "the provider setting takes " + names());
}

std::string names() {
    std::string out;
    for (const Entry& e : k_entries) {
        out += (out.empty() ? "" : ", ") + e.info().name;
    }
    return out;
}

} // namespace twofa::providers
