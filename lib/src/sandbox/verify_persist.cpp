// twofa-sandbox: the Verify records in the --state file (push challenges are the desk's).
#include "sandbox/verify_state.hpp"

#include <twofa/util.hpp>

namespace twofa::sandbox {

using nlohmann::json;

json verify_state_json(const VerifyState& v) {
    json out = {{"services", json::array()},   {"verifications", json::array()},
                {"entities", json::array()},   {"factors", json::array()},
                {"challenges", json::array()}, {"webhooks", json::array()}};
    for (const auto& [sid, s] : v.services) {
        out["services"].push_back(
            {s.sid, s.friendly_name, s.code_length, s.totp_issuer, s.created});
    }
    for (const auto& [sid, x] : v.verifications) {
        out["verifications"].push_back({x.sid, x.service, x.to, x.channel, x.status, x.code,
                                        x.checks, x.sends, x.created, x.updated});
    }
    for (const auto& [key, e] : v.entities) {
        out["entities"].push_back({e.sid, e.service, e.identity, e.created});
    }
    for (const auto& [sid, f] : v.factors) {
        out["factors"].push_back({f.sid, f.service, f.entity_sid, f.identity, f.type, f.status,
                                  f.friendly_name, to_hex(f.secret), f.digits, f.period, f.skew,
                                  f.alg, f.attempts, f.last_step, f.push_config,
                                  static_cast<int>(f.answer), f.created, f.updated});
    }
    for (const auto& [sid, c] : v.challenges) {
        out["challenges"].push_back({c.sid, c.factor_sid, c.status, c.created, c.expires});
    }
    for (const auto& [sid, w] : v.webhooks) {
        out["webhooks"].push_back(
            {w.sid, w.service, w.friendly_name, w.url, w.events, w.status, w.version, w.created});
    }
    return out;
}

void verify_state_from(const json& j, VerifyState& v) {
    for (const json& s : j.value("services", json::array())) {
        VService x{s[0], s[1], s[2], s[3], s[4]};
        v.services[x.sid] = x;
    }
    for (const json& s : j.value("verifications", json::array())) {
        VVerification x{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]};
        v.verifications[x.sid] = x;
    }
    for (const json& s : j.value("entities", json::array())) {
        VEntity x{s[0], s[1], s[2], s[3]};
        v.entities[x.service + "/" + x.identity] = x;
    }
    for (const json& s : j.value("factors", json::array())) {
        VFactor x;
        std::tie(x.sid, x.service, x.entity_sid, x.identity, x.type, x.status, x.friendly_name) =
            std::tuple{s[0], s[1], s[2], s[3], s[4], s[5], s[6]};
        x.secret = from_hex(s[7].get<std::string>()).value();
        std::tie(x.digits, x.period, x.skew, x.alg, x.attempts, x.last_step) =
            std::tuple{s[8], s[9], s[10], s[11], s[12], s[13]};
        x.push_config = s[14];
        x.answer = static_cast<detail::PhoneScenario>(s[15].get<int>());
        std::tie(x.created, x.updated) = std::tuple{s[16], s[17]};
        v.factors[x.sid] = x;
    }
    for (const json& s : j.value("challenges", json::array())) {
        VChallenge x{s[0], s[1], s[2], s[3], s[4]};
        v.challenges[x.sid] = x;
    }
    for (const json& s : j.value("webhooks", json::array())) {
        VWebhook x{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]};
        v.webhooks[x.sid] = x;
    }
}

} // namespace twofa::sandbox
