#pragma once
// The Authy adapter behind the second-factor port. Front ends never include this: they get a
// SecondFactor from the composition root. Public for the registry and the tests.
#include <twofa/authy/client.hpp>
#include <twofa/config.hpp>
#include <twofa/provider.hpp>

#include <memory>

namespace twofa::authy {

// What the product says about Authy (authy_id, /authy/callback).
const ProviderInfo& provider_info();

// The port over an Authy client.
std::unique_ptr<SecondFactor> make_provider(std::unique_ptr<AuthyClient> client);

// The client from the configuration: the API key (environment or 0600 key file), the base
// URL (https, or http to loopback), the timeouts.
Result<std::unique_ptr<AuthyClient>> make_client(const Config& config);

// Checks X-Authy-Signature with this API key.
std::unique_ptr<CallbackVerifier> make_callback_verifier(std::string api_key,
                                                         CallbackSettings settings);

} // namespace twofa::authy
