// twofa-sandbox: Verify v2's JSON shapes (verify-v2.md §3), snake_case, dates to the second.
#include "sandbox/verify_state.hpp"

#include <twofa/otp.hpp>
#include <twofa/verify/wire.hpp>

namespace twofa::sandbox {

using nlohmann::json;
using verify::iso_date;

namespace {

std::string service_url(const std::string& base, const std::string& service) {
    return base + "/v2/Services/" + service;
}

std::string entity_url(const std::string& base, const std::string& service,
                       const std::string& identity) {
    return service_url(base, service) + "/Entities/" + identity;
}

} // namespace

json service_json(const VService& s, const std::string& account, const std::string& base) {
    std::string url = service_url(base, s.sid);
    json links = json::object();
    for (const auto& [name, path] :
         {std::pair{"verification_checks", "VerificationCheck"},
          std::pair{"verifications", "Verifications"}, std::pair{"rate_limits", "RateLimits"},
          std::pair{"messaging_configurations", "MessagingConfigurations"},
          std::pair{"entities", "Entities"}, std::pair{"webhooks", "Webhooks"},
          std::pair{"access_tokens", "AccessTokens"}}) {
        links[name] = url + "/" + path;
    }
    return {{"sid", s.sid},
            {"account_sid", account},
            {"friendly_name", s.friendly_name},
            {"code_length", s.code_length},
            {"lookup_enabled", false},
            {"psd2_enabled", false},
            {"skip_sms_to_landlines", false},
            {"dtmf_input_required", true},
            {"tts_name", nullptr},
            {"do_not_share_warning_enabled", false},
            {"custom_code_enabled", false},
            {"push",
             {{"include_date", true},
              {"apn_credential_sid", nullptr},
              {"fcm_credential_sid", nullptr}}},
            {"totp",
             {{"issuer", s.totp_issuer.empty() ? s.friendly_name : s.totp_issuer},
              {"time_step", 30},
              {"code_length", 6},
              {"skew", 1}}},
            {"default_template_sid", nullptr},
            {"date_created", iso_date(s.created)},
            {"date_updated", iso_date(s.created)},
            {"url", url},
            {"links", links}};
}

json verification_json(const VVerification& v, const std::string& account,
                       const std::string& base) {
    json attempts = json::array();
    for (const auto& [at, sid] : v.sends) {
        attempts.push_back({{"time", iso_date(at)},
                            {"channel", v.channel == "sms" ? "SMS" : v.channel},
                            {"attempt_sid", sid}});
    }
    return {{"sid", v.sid},
            {"service_sid", v.service},
            {"account_sid", account},
            {"to", v.to},
            {"channel", v.channel},
            {"status", v.status},
            {"valid", v.status == "approved"},
            {"date_created", iso_date(v.created)},
            {"date_updated", iso_date(v.updated)},
            {"lookup", json::object()},
            {"amount", nullptr},
            {"payee", nullptr},
            {"send_code_attempts", attempts},
            {"sna", nullptr},
            {"url", service_url(base, v.service) + "/Verifications/" + v.sid}};
}

// A check answers the verification without its links, lookup and send attempts (OAI example).
json check_json(const VVerification& v, const std::string& account) {
    json j = verification_json(v, account, "");
    for (const char* key : {"url", "lookup", "send_code_attempts", "sna"}) {
        j.erase(key);
    }
    j["sna_attempts_error_codes"] = json::array();
    return j;
}

json entity_json(const VEntity& e, const std::string& account, const std::string& base) {
    std::string url = entity_url(base, e.service, e.identity);
    return {{"sid", e.sid},
            {"identity", e.identity},
            {"account_sid", account},
            {"service_sid", e.service},
            {"date_created", iso_date(e.created)},
            {"date_updated", iso_date(e.created)},
            {"url", url},
            {"links",
             {{"factors", url + "/Factors"},
              {"new_factors", url + "/Factors"},
              {"challenges", url + "/Challenges"}}}};
}

json factor_json(const VFactor& f, const std::string& account, const std::string& base,
                 const std::string& issuer, bool with_binding) {
    json j = {{"sid", f.sid},
              {"account_sid", account},
              {"service_sid", f.service},
              {"entity_sid", f.entity_sid},
              {"identity", f.identity},
              {"date_created", iso_date(f.created)},
              {"date_updated", iso_date(f.updated)},
              {"friendly_name", f.friendly_name},
              {"status", f.status},
              {"factor_type", f.type},
              {"metadata", nullptr},
              {"url", entity_url(base, f.service, f.identity) + "/Factors/" + f.sid}};
    if (f.type == "totp") {
        j["config"] = {
            {"alg", f.alg}, {"skew", f.skew}, {"code_length", f.digits}, {"time_step", f.period}};
    } else {
        j["config"] = f.push_config.value("config", json::object());
    }
    if (with_binding) {
        j["options"] = nullptr;
        if (f.type == "totp") {
            KeyUri k{issuer,   f.friendly_name,
                     f.secret, parse_otp_hash(f.alg).value_or(OtpHash::sha1),
                     f.digits, f.period};
            auto uri = key_uri(k); // fails only for a ':' in the issuer or the name
            j["binding"] = {{"secret", base32_encode(f.secret)},
                            {"uri", uri.ok() ? *uri : std::string()}};
        } else {
            j["binding"] = f.push_config.value("binding", json::object());
        }
    }
    return j;
}

json webhook_json(const VWebhook& w, const std::string& account, const std::string& base) {
    return {{"url", service_url(base, w.service) + "/Webhooks/" + w.sid},
            {"sid", w.sid},
            {"account_sid", account},
            {"service_sid", w.service},
            {"friendly_name", w.friendly_name},
            {"event_types", w.events},
            {"webhook_method", "POST"},
            {"webhook_url", w.url},
            {"status", w.status},
            {"version", w.version},
            {"date_created", iso_date(w.created)},
            {"date_updated", iso_date(w.created)}};
}

json challenge_json(const ChallengeView& c, const std::string& account, const std::string& base) {
    std::string url = entity_url(base, c.service, c.identity) + "/Challenges/" + c.sid;
    return {{"sid", c.sid},
            {"account_sid", account},
            {"service_sid", c.service},
            {"entity_sid", c.entity_sid},
            {"identity", c.identity},
            {"factor_sid", c.factor_sid},
            {"date_created", iso_date(c.created)},
            {"date_updated", iso_date(c.responded != 0 ? c.responded : c.created)},
            {"date_responded", c.responded != 0 ? json(iso_date(c.responded)) : json(nullptr)},
            {"expiration_date", iso_date(c.expires)},
            {"status", c.status},
            {"responded_reason", "none"},
            {"details", c.details},
            {"hidden_details", c.hidden},
            {"metadata", nullptr},
            {"factor_type", c.factor_type},
            {"url", url},
            {"links", {{"notifications", url + "/Notifications"}}}};
}

json page_json(const std::string& key, const std::vector<json>& items, const std::string& base,
               const std::string& path, int page_size, int page) {
    auto page_url = [&](int n) {
        return base + path + "?PageSize=" + std::to_string(page_size) +
               "&Page=" + std::to_string(n);
    };
    auto first = static_cast<std::size_t>(page) * static_cast<std::size_t>(page_size);
    json list = json::array();
    for (std::size_t i = first; i < items.size() && i < first + static_cast<std::size_t>(page_size);
         ++i) {
        list.push_back(items[i]);
    }
    bool more = first + static_cast<std::size_t>(page_size) < items.size();
    return {{key, list},
            {"meta",
             {{"page", page},
              {"page_size", page_size},
              {"first_page_url", page_url(0)},
              {"previous_page_url", page > 0 ? json(page_url(page - 1)) : json(nullptr)},
              {"url", page_url(page)},
              {"next_page_url", more ? json(page_url(page + 1)) : json(nullptr)},
              {"key", key}}}};
}

} // namespace twofa::sandbox
