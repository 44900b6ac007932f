#pragma once
// The Twilio Verify v2 adapter behind the second-factor port: codes by Verifications, push and
// TOTP through an Entity's factors and Challenges, push results by signed webhook. Front ends
// never include this; public for the registry and the tests.
#include <twofa/config.hpp>
#include <twofa/provider.hpp>
#include <twofa/verify/client.hpp>

#include <memory>

namespace twofa::verify {

// What the product says about Verify (verify_identity, /verify/webhook).
const ProviderInfo& provider_info();

// The credentials: TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and
// TWILIO_API_SECRET) from the environment, else verify.credentials_file (mode 0600).
// Exit::config when there are none, they are malformed, or the file is insecure.
Result<VerifyCredentials> load_credentials(const Config& config);

// The client from the configuration (URL, service SID, credentials, timeouts).
Result<std::unique_ptr<VerifyClient>> make_client(const Config& config);

// The port over a client; totp: the settings of new TOTP factors.
std::unique_ptr<SecondFactor> make_provider(std::unique_ptr<VerifyClient> client,
                                            TotpSettings totp);

// Checks X-Twilio-Signature with the account's Auth Token and that the webhook is for this
// service.
std::unique_ptr<CallbackVerifier> make_webhook_verifier(std::string auth_token,
                                                        std::string service_sid);

// A push challenge's handle: the entity's identity and the challenge SID ("ID/YC…").
std::string challenge_handle(const std::string& identity, const std::string& challenge_sid);

} // namespace twofa::verify
