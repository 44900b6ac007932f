#pragma once
// twofa-sandbox's Verify v2 records (services, verifications, entities, factors, TOTP
// challenges, webhooks) and their JSON shapes as Verify answers them (verify-v2.md §3).
#include "sandbox/sandbox_onetouch.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace twofa::sandbox {

// The service that exists from the start (product-contract.md, next surfaces).
inline constexpr const char* k_default_service = "VA00000000000000000000000000000000";
inline constexpr int k_verify_max_sends = 5;
inline constexpr int k_verify_max_checks = 5;
inline constexpr int k_factor_max_attempts = 5;

struct VService {
    std::string sid;
    std::string friendly_name;
    int code_length = 6;
    std::string totp_issuer; // empty: the friendly name
    std::int64_t created = 0;
};

struct VVerification {
    std::string sid;
    std::string service;
    std::string to;
    std::string channel;
    std::string status = "pending";
    std::string code;
    int checks = 0;
    std::vector<std::pair<std::int64_t, std::string>> sends; // time, attempt sid (VL…)
    std::int64_t created = 0;
    std::int64_t updated = 0;
};

struct VEntity {
    std::string sid;
    std::string service;
    std::string identity;
    std::int64_t created = 0;
};

struct VFactor {
    std::string sid;
    std::string service;
    std::string entity_sid;
    std::string identity;
    std::string type; // totp, push
    std::string status = "unverified";
    std::string friendly_name;
    std::string secret; // totp: raw bytes
    int digits = 6;
    int period = 30;
    int skew = 1;
    std::string alg = "sha1";
    int attempts = 0;            // wrong codes while unverified
    std::int64_t last_step = -1; // the last time step accepted
    nlohmann::json push_config;  // push: config and binding as created
    detail::PhoneScenario answer = detail::PhoneScenario::approve; // push: the simulated phone
    std::int64_t created = 0;
    std::int64_t updated = 0;
};

// A TOTP challenge (answered at once); push challenges live in the ApprovalDesk.
struct VChallenge {
    std::string sid;
    std::string factor_sid;
    std::string status;
    std::int64_t created = 0;
    std::int64_t expires = 0;
};

struct VWebhook {
    std::string sid;
    std::string service;
    std::string friendly_name;
    std::string url;
    std::vector<std::string> events;
    std::string status = "enabled";
    std::string version = "v2";
    std::int64_t created = 0;
};

struct VerifyState {
    std::map<std::string, VService> services;
    std::map<std::string, VVerification> verifications;
    std::map<std::string, VEntity> entities; // by service + "/" + identity
    std::map<std::string, VFactor> factors;
    std::map<std::string, VChallenge> challenges;
    std::map<std::string, VWebhook> webhooks;
};

// The JSON of each record; base: "http://HOST:PORT", for the url fields.
nlohmann::json service_json(const VService& s, const std::string& account, const std::string& base);
nlohmann::json verification_json(const VVerification& v, const std::string& account,
                                 const std::string& base);
nlohmann::json check_json(const VVerification& v, const std::string& account);
nlohmann::json entity_json(const VEntity& e, const std::string& account, const std::string& base);
// with_binding: the answer to the factor's creation (the only one that shows its secret).
nlohmann::json factor_json(const VFactor& f, const std::string& account, const std::string& base,
                           const std::string& issuer, bool with_binding);
nlohmann::json webhook_json(const VWebhook& w, const std::string& account, const std::string& base);
struct ChallengeView {
    std::string sid;
    std::string service;
    std::string entity_sid;
    std::string identity;
    std::string factor_sid;
    std::string factor_type;
    std::string status;
    std::int64_t created = 0;
    std::int64_t responded = 0;
    std::int64_t expires = 0;
    nlohmann::json details = nullptr;
    nlohmann::json hidden = nullptr;
};
nlohmann::json challenge_json(const ChallengeView& c, const std::string& account,
                              const std::string& base);
// The records as the --state file keeps them, and back (throws nlohmann's errors on a
// malformed file).
nlohmann::json verify_state_json(const VerifyState& v);
void verify_state_from(const nlohmann::json& j, VerifyState& v);

// One page of a list: {key: items[page], "meta": {...}}; path: the list's path.
nlohmann::json page_json(const std::string& key, const std::vector<nlohmann::json>& items,
                         const std::string& base, const std::string& path, int page_size, int page);

} // namespace twofa::sandbox
