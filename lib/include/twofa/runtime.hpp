#pragma once
// The composition root: from the configuration, the store (chosen by the db setting), the
// second-factor provider (chosen by the provider setting) and the use cases over them. Front
// ends (twofa, a PAM module, an SSH gate) ask this for what they need; none of them opens a
// database or constructs a provider itself. Everything is made on first use, so a command that
// never calls the provider needs no credentials.
#include <twofa/config.hpp>
#include <twofa/login.hpp>
#include <twofa/provider.hpp>
#include <twofa/store.hpp>
#include <twofa/users.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace twofa {

class Runtime {
  public:
    // may_create_store: the command writes (user add, import, serve-callback), so a missing
    // database may be created; read-only commands need an existing one.
    Runtime(Config config, bool may_create_store);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    const Config& config() const { return m_config; }
    // The configured provider's description (Exit::config for an unknown provider).
    Result<const ProviderInfo*> provider_info() const;
    // A provider's description by name (a user's provider).
    static Result<const ProviderInfo*> provider_info(std::string_view name);
    // Every provider's name, in the registry's order ("authy", "verify", "totp").
    static std::vector<std::string> provider_names();

    Result<Store*> store();
    // The configured provider: the one new users get.
    Result<SecondFactor*> provider();
    // The provider of that name (a user's own), made on first use.
    Result<SecondFactor*> provider(std::string_view name);
    ProviderGetter providers();
    // Independent provider connections, for concurrent workers (import).
    ProviderFactory provider_factory() const;
    Result<Logins*> logins();
    // The provider's checker of push callbacks (its credentials, the freshness window).
    Result<std::unique_ptr<CallbackVerifier>>
    callback_verifier(const CallbackSettings& settings) const;

    // The login policy the configuration describes.
    LoginPolicy login_policy() const;

  private:
    Config m_config;
    bool m_may_create;
    std::unique_ptr<Store> m_store;
    std::map<std::string, std::unique_ptr<SecondFactor>, std::less<>> m_providers;
    std::unique_ptr<Logins> m_logins;
};

} // namespace twofa
