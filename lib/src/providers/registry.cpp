#include "providers/registry.hpp"

#include <twofa/authy/provider.hpp>
#include <twofa/totp/provider.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/provider.hpp>

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

Result<std::unique_ptr<SecondFactor>>
make_verify(const Config& config, const std::function<Result<Store*>()>& /*store*/) {
    TRY_ASSIGN(auto client, verify::make_client(config));
    TotpSettings totp{"", config.totp_digits, config.totp_period, config.totp_window,
                      config.totp_algorithm};
    return verify::make_provider(std::move(client), std::move(totp));
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): the registry's signature
Result<std::unique_ptr<CallbackVerifier>> verify_verifier(const Config& config, CallbackSettings) {
    TRY_ASSIGN(VerifyCredentials c, verify::load_credentials(config));
    if (c.auth_token.empty()) {
        return make_error(Exit::config, "Verify signs its webhooks with the Auth Token",
                          "set TWILIO_AUTH_TOKEN (or auth_token in verify.credentials_file)");
    }
    if (!verify::is_sid(config.verify_service_sid, "VA")) {
        return make_error(Exit::config, "no valid Verify service SID",
                          "set TWOFA_VERIFY_SERVICE_SID or verify.service_sid");
    }
    return verify::make_webhook_verifier(c.auth_token, config.verify_service_sid);
}

// Sends each request to the verifier whose header it carries; without any, to the first
// (the configured provider's), which answers "missing signature".
class RoutingVerifier final : public CallbackVerifier {
  public:
    void add(const char* header, std::unique_ptr<CallbackVerifier> verifier) {
        m_routes.emplace_back(header, std::move(verifier));
    }

    CallbackVerdict verify(const IncomingRequest& request, std::string_view url) const override {
        for (const auto& [header, verifier] : m_routes) {
            if (!request.header(header).empty()) {
                return verifier->verify(request, url);
            }
        }
        return m_routes.front().second->verify(request, url);
    }

  private:
    std::vector<std::pair<const char*, std::unique_ptr<CallbackVerifier>>> m_routes;
};

// NOLINTNEXTLINE(performance-unnecessary-value-param): the registry's signature
Result<std::unique_ptr<CallbackVerifier>> no_verifier(const Config&, CallbackSettings) {
    return make_error(Exit::usage, "TOTP sends no callbacks",
                      "serve-callback serves the providers with pushes (authy)");
}

const std::array k_entries{
    Entry{authy::provider_info, make_authy, authy_verifier, "x-authy-signature"},
    Entry{verify::provider_info, make_verify, verify_verifier, "x-twilio-signature"},
    Entry{totp_adapter::provider_info, make_totp, no_verifier, nullptr},
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

Result<std::unique_ptr<CallbackVerifier>> listener_verifier(const Config& config,
                                                            const CallbackSettings& settings) {
    TRY_ASSIGN(const Entry* configured, find(config.provider));
    TRY_ASSIGN(auto own, configured->verifier(config, settings));
    auto routing = std::make_unique<RoutingVerifier>();
    routing->add(configured->signature_header, std::move(own));
    for (const Entry& e : k_entries) {
        if (&e != configured && e.signature_header != nullptr) {
            if (auto other = e.verifier(config, settings); other.ok()) {
                routing->add(e.signature_header, std::move(*other));
            }
        }
    }
    return std::unique_ptr<CallbackVerifier>(std::move(routing));
}

std::vector<std::string> all_names() {
    std::vector<std::string> out;
    out.reserve(k_entries.size());
    for (const Entry& e : k_entries) {
        out.push_back(e.info().name);
    }
    return out;
}

std::string names() {
    std::string out;
    for (const std::string& name : all_names()) {
        out += (out.empty() ? "" : ", ") + name;
    }
    return out;
}

} // namespace twofa::providers
