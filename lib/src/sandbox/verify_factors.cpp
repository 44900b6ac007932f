// twofa-sandbox: Verify v2 entities, factors (TOTP with a real secret, push with a simulated
// phone) and challenges, and the /v2/ route table.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/otp.hpp>
#include <twofa/util.hpp>
#include <twofa/verify/wire.hpp>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

// A whole number within [lo, hi], or fallback when absent; nullopt when malformed.
std::optional<int> number(const httplib::Request& req, const char* name, int lo, int hi,
                          int fallback) {
    std::string v = req.get_param_value(name);
    if (v.empty()) {
        return fallback;
    }
    if (v.size() > 3 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoi(v) < lo ||
        std::stoi(v) > hi) {
        return std::nullopt;
    }
    return std::stoi(v);
}

// A TOTP factor's binding and config into f; the name of a malformed parameter, or "".
std::string totp_config(const httplib::Request& req, VFactor& f) {
    auto digits = number(req, "Config.CodeLength", 3, 8, 6);
    auto period = number(req, "Config.TimeStep", 20, 60, 30);
    auto skew = number(req, "Config.Skew", 0, 2, 1);
    std::string alg =
        req.get_param_value("Config.Alg").empty() ? "sha1" : req.get_param_value("Config.Alg");
    auto secret = req.get_param_value("Binding.Secret").empty()
                      ? std::optional<std::string>(random_bytes(20))
                      : base32_decode(req.get_param_value("Binding.Secret"));
    if (!digits || !period || !skew) {
        return !digits ? "Config.CodeLength" : !period ? "Config.TimeStep" : "Config.Skew";
    }
    if (!parse_otp_hash(alg)) {
        return "Config.Alg";
    }
    if (!secret || secret->size() < 10) {
        return "Binding.Secret";
    }
    f.digits = *digits;
    f.period = *period;
    f.skew = *skew;
    f.alg = alg;
    f.secret = *secret;
    return {};
}

// A push factor as the Verify Push SDK registers it; the name of a malformed parameter, or "".
std::string push_config(const httplib::Request& req, VFactor& f) {
    std::string platform = req.get_param_value("Config.NotificationPlatform");
    for (const char* required : {"Binding.PublicKey", "Config.AppId"}) {
        if (req.get_param_value(required).empty()) {
            return required;
        }
    }
    if (req.get_param_value("Binding.Alg") != "ES256") {
        return "Binding.Alg";
    }
    if (platform != "apn" && platform != "fcm" && platform != "none") {
        return "Config.NotificationPlatform";
    }
    f.push_config = {
        {"binding", {{"alg", "ES256"}, {"public_key", req.get_param_value("Binding.PublicKey")}}},
        {"config",
         {{"sdk_version", req.get_param_value("Config.SdkVersion")},
          {"app_id", req.get_param_value("Config.AppId")},
          {"notification_platform", platform},
          {"notification_token", req.get_param_value("Config.NotificationToken")}}}};
    return {};
}

} // namespace

bool Sandbox::Impl::v_totp_ok(VFactor& f, const std::string& code) {
    auto hash = parse_otp_hash(f.alg).value_or(OtpHash::sha1);
    const std::int64_t now = unix_now();
    for (int d = -f.skew; d <= f.skew; ++d) {
        std::int64_t t = now + std::int64_t{d} * f.period;
        std::int64_t step = t / f.period;
        if (step > f.last_step &&
            equal_constant_time(totp(f.secret, t, f.digits, f.period, hash), code)) {
            f.last_step = step;
            return true;
        }
    }
    return false;
}

void Sandbox::Impl::v_entity_create(const httplib::Request& req, httplib::Response& res) {
    std::string identity = req.get_param_value("Identity");
    if (!verify::is_identity(identity)) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: Identity", 400);
    }
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    std::string key = req.matches[1].str() + "/" + identity;
    auto [it, made] = verify_state.entities.try_emplace(
        key, VEntity{verify::new_sid("YE"), req.matches[1], identity, unix_now()});
    // Inferred: an existing identity answers with its entity (creation is idempotent).
    send_json(res, 201, entity_json(it->second, account_of(req), base_url).dump());
}

void Sandbox::Impl::v_entities(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    std::string service = req.matches[1];
    if (req.matches.size() < 3 || req.matches[2].str().empty()) {
        std::vector<json> items;
        for (const auto& [key, e] : verify_state.entities) {
            if (e.service == service) {
                items.push_back(entity_json(e, account_of(req), base_url));
            }
        }
        return v_list(req, res, "entities", items);
    }
    auto it = verify_state.entities.find(service + "/" + req.matches[2].str());
    if (it == verify_state.entities.end()) {
        return v_not_found(req, res);
    }
    if (req.method == "DELETE") {
        for (auto f = verify_state.factors.begin(); f != verify_state.factors.end();) {
            f = f->second.entity_sid == it->second.sid ? verify_state.factors.erase(f)
                                                       : std::next(f);
        }
        verify_state.entities.erase(it);
        res.status = 204;
        return;
    }
    send_json(res, 200, entity_json(it->second, account_of(req), base_url).dump());
}

void Sandbox::Impl::v_factor_create(const httplib::Request& req, httplib::Response& res) {
    std::string type = req.get_param_value("FactorType");
    VFactor f;
    f.sid = verify::new_sid("YF");
    f.type = type;
    f.friendly_name = req.get_param_value("FriendlyName");
    f.created = f.updated = unix_now();
    std::string bad;
    if (f.friendly_name.empty() || f.friendly_name.size() > 64) {
        bad = "FriendlyName";
    } else if (type == "totp") {
        bad = totp_config(req, f);
    } else if (type == "push") {
        bad = push_config(req, f);
    } else {
        bad = "FactorType";
    }
    if (!bad.empty()) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: " + bad, 400);
    }
    std::lock_guard lock(mutex);
    VService* s = v_service(req, res);
    if (s == nullptr) {
        return;
    }
    f.service = s->sid;
    f.identity = req.matches[2];
    if (!verify::is_identity(f.identity)) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: Identity", 400);
    }
    auto [entity, made] = verify_state.entities.try_emplace(
        f.service + "/" + f.identity,
        VEntity{verify::new_sid("YE"), f.service, f.identity, f.created});
    f.entity_sid = entity->second.sid;
    verify_state.factors[f.sid] = f;
    std::string issuer = s->totp_issuer.empty() ? s->friendly_name : s->totp_issuer;
    send_json(res, 201, factor_json(f, account_of(req), base_url, issuer, true).dump());
}

void Sandbox::Impl::v_factors(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    std::string identity = req.matches[2];
    std::string one = req.matches.size() > 3 ? req.matches[3].str() : "";
    std::vector<json> items;
    for (auto it = verify_state.factors.begin(); it != verify_state.factors.end(); ++it) {
        const VFactor& f = it->second;
        if (f.service != req.matches[1] || f.identity != identity ||
            (!one.empty() && f.sid != one)) {
            continue;
        }
        if (!one.empty() && req.method == "DELETE") {
            verify_state.factors.erase(it);
            res.status = 204;
            return;
        }
        items.push_back(factor_json(f, account_of(req), base_url, "", false));
    }
    v_list_or_one(req, res, "factors", items, !one.empty());
}

// Verifies a TOTP factor with its first code (AuthPayload); 60310 after five wrong ones.
void Sandbox::Impl::v_factor_update(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    auto it = verify_state.factors.find(req.matches[3]);
    if (it == verify_state.factors.end() || it->second.identity != req.matches[2].str()) {
        return v_not_found(req, res);
    }
    VFactor& f = it->second;
    if (std::string name = req.get_param_value("FriendlyName"); !name.empty()) {
        f.friendly_name = name.substr(0, 64);
    }
    if (std::string code = req.get_param_value("AuthPayload");
        !code.empty() && f.status != "verified") {
        if (f.type != "totp") {
            return v_error(res, verify::k_invalid_parameter,
                           "Invalid parameter: AuthPayload (the sandbox verifies push factors "
                           "made with POST /sandbox/entities/{identity}/push_device)",
                           400);
        }
        if (f.attempts >= k_factor_max_attempts) {
            return v_error(res, verify::k_factor_attempts, "Factor verification attempts reached",
                           429);
        }
        if (v_totp_ok(f, code)) {
            f.status = "verified";
        } else {
            ++f.attempts;
        }
    }
    f.updated = unix_now();
    send_json(res, 200, factor_json(f, account_of(req), base_url, "", false).dump());
}

void Sandbox::Impl::verify_routes() {
    const std::string svc = R"(/v2/Services/(VA[0-9a-fA-F]{32}))";
    const std::string ent = svc + R"(/Entities/([^/]+))";
    auto bind = [this](void (Impl::*fn)(const httplib::Request&, httplib::Response&)) {
        return [this, fn](const httplib::Request& q, httplib::Response& r) { (this->*fn)(q, r); };
    };
    server.Get("/v2/Services", bind(&Impl::v_services));
    server.Post("/v2/Services", bind(&Impl::v_service_create));
    server.Get(svc, bind(&Impl::v_services));
    server.Post(svc + "/Verifications", bind(&Impl::v_verification_create));
    server.Get(svc + "/Verifications/(VE[0-9a-fA-F]{32})", bind(&Impl::v_verification_fetch));
    server.Post(svc + "/Verifications/(VE[0-9a-fA-F]{32})", bind(&Impl::v_verification_fetch));
    server.Post(svc + "/VerificationCheck", bind(&Impl::v_check));
    server.Post(svc + "/Webhooks", bind(&Impl::v_webhook_create));
    server.Get(svc + "/Webhooks", bind(&Impl::v_webhooks));
    server.Get(svc + "/Webhooks/(YW[0-9a-fA-F]{32})", bind(&Impl::v_webhooks));
    server.Delete(svc + "/Webhooks/(YW[0-9a-fA-F]{32})", bind(&Impl::v_webhooks));
    server.Post(svc + "/Entities", bind(&Impl::v_entity_create));
    server.Get(svc + "/Entities", bind(&Impl::v_entities));
    server.Get(ent, bind(&Impl::v_entities));
    server.Delete(ent, bind(&Impl::v_entities));
    server.Post(ent + "/Factors", bind(&Impl::v_factor_create));
    server.Get(ent + "/Factors", bind(&Impl::v_factors));
    server.Get(ent + "/Factors/(YF[0-9a-fA-F]{32})", bind(&Impl::v_factors));
    server.Delete(ent + "/Factors/(YF[0-9a-fA-F]{32})", bind(&Impl::v_factors));
    server.Post(ent + "/Factors/(YF[0-9a-fA-F]{32})", bind(&Impl::v_factor_update));
    server.Post(ent + "/Challenges", bind(&Impl::v_challenge_create));
    server.Get(ent + "/Challenges", bind(&Impl::v_challenges));
    server.Get(ent + "/Challenges/(YC[0-9a-fA-F]{32})", bind(&Impl::v_challenges));
    server.Post(ent + "/Challenges/(YC[0-9a-fA-F]{32})", bind(&Impl::v_challenge_update));
}

} // namespace twofa
