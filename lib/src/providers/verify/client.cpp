// The Verify v2 client (client.hpp).
#include <twofa/verify/client.hpp>

#include <nlohmann/json.hpp>

#include <vector>

namespace twofa {

using verify::Form;

namespace {

std::string basic_authorization(const std::string& user, const std::string& password) {
    return "Basic " + base64_encode(user + ":" + password);
}

// Details.Fields items as the official node client sends them: each a JSON object.
std::string field_json(const std::pair<std::string, std::string>& field) {
    return nlohmann::json{{"label", field.first}, {"value", field.second}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string hidden_json(const std::vector<std::pair<std::string, std::string>>& hidden) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : hidden) {
        j[k] = v;
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

VerifyClient::VerifyClient(std::string base_url, std::string service_sid,
                           const VerifyCredentials& credentials,
                           std::unique_ptr<HttpTransport> transport, RetryPolicy policy,
                           Sleeper sleeper)
    : m_base(std::move(base_url)), m_service(std::move(service_sid)),
      m_authorization(basic_authorization(credentials.user, credentials.password)),
      m_transport(std::move(transport)), m_policy(policy), m_sleep(std::move(sleeper)) {
    while (!m_base.empty() && m_base.back() == '/') {
        m_base.pop_back();
    }
}

HttpResponse VerifyClient::call(const std::string& method, const std::string& path,
                                const Form& form, bool idempotent) {
    HttpRequest req{method,
                    m_base + "/v2/Services/" + m_service + path,
                    {{"Authorization", m_authorization},
                     {"Accept", "application/json"},
                     {"User-Agent", "twofa/0.1"}},
                    ""};
    if (method == "POST") {
        req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        req.body = form_encode(form);
    } else if (!form.empty()) {
        req.url += "?" + form_encode(form);
    }
    return send_with_retries(*m_transport, req, idempotent, m_policy, m_sleep);
}

std::string VerifyClient::entity_path(const std::string& identity) const {
    // Identities are checked (is_identity) before they get here: nothing to escape.
    return "/Entities/" + identity;
}

Status VerifyClient::check_service() {
    return verify::decode_ok(call("GET", "", {}, true));
}

Status VerifyClient::create_entity(const std::string& identity) {
    return verify::decode_ok(call("POST", "/Entities", {{"Identity", identity}}, false));
}

Result<bool> VerifyClient::delete_entity(const std::string& identity) {
    auto r = call("DELETE", entity_path(identity), {}, true);
    if (r.status == 404) {
        return false;
    }
    TRY(verify::decode_ok(r));
    return true;
}

Result<verify::VerificationState> VerifyClient::start_verification(const std::string& to,
                                                                   const std::string& channel) {
    return verify::decode_verification(
        call("POST", "/Verifications", {{"To", to}, {"Channel", channel}}, false));
}

Result<verify::VerificationState> VerifyClient::check_verification(const std::string& to,
                                                                   const std::string& code) {
    return verify::decode_verification(
        call("POST", "/VerificationCheck", {{"To", to}, {"Code", code}}, false));
}

Result<std::vector<verify::Factor>> VerifyClient::factors(const std::string& identity) {
    return verify::decode_factors(
        call("GET", entity_path(identity) + "/Factors", {{"PageSize", "50"}}, true));
}

Result<verify::Factor> VerifyClient::create_totp_factor(const std::string& identity,
                                                        const TotpSettings& s) {
    return verify::decode_factor(call("POST", entity_path(identity) + "/Factors",
                                      {{"FriendlyName", s.friendly_name},
                                       {"FactorType", "totp"},
                                       {"Config.CodeLength", std::to_string(s.digits)},
                                       {"Config.TimeStep", std::to_string(s.period)},
                                       {"Config.Skew", std::to_string(s.skew)},
                                       {"Config.Alg", s.algorithm}},
                                      false));
}

Result<verify::Factor> VerifyClient::verify_factor(const std::string& identity,
                                                   const std::string& factor,
                                                   const std::string& code) {
    return verify::decode_factor(
        call("POST", entity_path(identity) + "/Factors/" + factor, {{"AuthPayload", code}}, false));
}

Result<bool> VerifyClient::delete_factor(const std::string& identity, const std::string& factor) {
    auto r = call("DELETE", entity_path(identity) + "/Factors/" + factor, {}, true);
    if (r.status == 404) {
        return false;
    }
    TRY(verify::decode_ok(r));
    return true;
}

Result<verify::ChallengeState> VerifyClient::push_challenge(const std::string& identity,
                                                            const std::string& factor,
                                                            const VerifyPush& push) {
    Form form{{"FactorSid", factor},
              {"ExpirationDate", verify::iso_date(push.expires_at)},
              {"Details.Message", push.message}};
    for (const auto& f : push.fields) {
        form.emplace_back("Details.Fields", field_json(f));
    }
    if (!push.hidden.empty()) {
        form.emplace_back("HiddenDetails", hidden_json(push.hidden));
    }
    return verify::decode_challenge(
        call("POST", entity_path(identity) + "/Challenges", form, false));
}

Result<verify::ChallengeState> VerifyClient::totp_challenge(const std::string& identity,
                                                            const std::string& factor,
                                                            const std::string& code) {
    return verify::decode_challenge(call("POST", entity_path(identity) + "/Challenges",
                                         {{"FactorSid", factor}, {"AuthPayload", code}}, false));
}

Result<verify::ChallengeState> VerifyClient::challenge(const std::string& identity,
                                                       const std::string& sid) {
    return verify::decode_challenge(
        call("GET", entity_path(identity) + "/Challenges/" + sid, {}, true));
}

} // namespace twofa
