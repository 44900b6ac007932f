#pragma once
// The Twilio Verify v2 client: request building (form-encoded, HTTP Basic), retries and
// decoding over an HttpTransport. Every path is under /v2/Services/{service}.
#include <twofa/http.hpp>
#include <twofa/verify/wire.hpp>

#include <memory>

namespace twofa {

struct VerifyCredentials {
    std::string account_sid;
    std::string user;       // HTTP Basic user: the API key SID, or the account SID
    std::string password;   // the API secret, or the Auth Token
    std::string auth_token; // signs webhooks; empty with an API key alone
};

// A push as Verify shows it (Details.*, HiddenDetails).
struct VerifyPush {
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<std::pair<std::string, std::string>> hidden;
    std::int64_t expires_at = 0; // unix seconds
};

struct TotpSettings {
    std::string friendly_name; // the account name the app shows
    int digits = 6;
    int period = 30;
    int skew = 1;
    std::string algorithm = "sha1";
};

class VerifyClient {
  public:
    // base_url must pass check_provider_url; service_sid is VA + 32 hex.
    VerifyClient(std::string base_url, std::string service_sid,
                 const VerifyCredentials& credentials, std::unique_ptr<HttpTransport> transport,
                 RetryPolicy policy = {}, Sleeper sleeper = real_sleeper());

    // GET the service: the credentials work and the service exists.
    Status check_service();
    // POST Entities (Identity).
    Status create_entity(const std::string& identity);
    // DELETE Entities/{identity}: false when Verify did not know it.
    Result<bool> delete_entity(const std::string& identity);
    // POST Verifications: sends a code (sms, call, email). Not retried once it may have
    // reached Verify (a retry could send twice).
    Result<verify::VerificationState> start_verification(const std::string& to,
                                                         const std::string& channel);
    // POST VerificationCheck (To, Code). Not retried once sent.
    Result<verify::VerificationState> check_verification(const std::string& to,
                                                         const std::string& code);
    // GET Entities/{identity}/Factors (the first page of 50: a user has a few).
    Result<std::vector<verify::Factor>> factors(const std::string& identity);
    // POST Entities/{identity}/Factors with FactorType=totp; the answer carries the binding.
    Result<verify::Factor> create_totp_factor(const std::string& identity,
                                              const TotpSettings& settings);
    // POST Entities/{identity}/Factors/{sid} with AuthPayload: the factor's status after.
    Result<verify::Factor> verify_factor(const std::string& identity, const std::string& factor,
                                         const std::string& code);
    Result<bool> delete_factor(const std::string& identity, const std::string& factor);
    // POST Entities/{identity}/Challenges for a push factor.
    Result<verify::ChallengeState>
    push_challenge(const std::string& identity, const std::string& factor, const VerifyPush& push);
    // POST Entities/{identity}/Challenges for a TOTP factor with the code (AuthPayload).
    Result<verify::ChallengeState>
    totp_challenge(const std::string& identity, const std::string& factor, const std::string& code);
    // GET Entities/{identity}/Challenges/{sid}.
    Result<verify::ChallengeState> challenge(const std::string& identity, const std::string& sid);

  private:
    HttpResponse call(const std::string& method, const std::string& path, const verify::Form& form,
                      bool idempotent);
    std::string entity_path(const std::string& identity) const;

    std::string m_base;
    std::string m_service;
    std::string m_authorization;
    std::unique_ptr<HttpTransport> m_transport;
    RetryPolicy m_policy;
    Sleeper m_sleep;
};

} // namespace twofa
