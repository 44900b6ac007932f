// twofa-sandbox: Verify v2 challenges - TOTP answered at once from the code, push handed to the
// ApprovalDesk (the simulated phone, the signed webhooks) - and the push-device control call.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/util.hpp>
#include <twofa/verify/wire.hpp>

#include <ctime>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

constexpr std::int64_t k_default_expiry = 300;
constexpr std::int64_t k_max_expiry = 3600;

// YYYY-MM-DDTHH:MM:SS[.sss]Z as unix seconds; nullopt otherwise.
std::optional<std::int64_t> parse_iso(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) {
        return std::nullopt;
    }
    std::string rest = end;
    if (rest.size() == 5 && rest[0] == '.') {
        rest = rest.substr(4);
    }
    if (rest != "Z") {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(timegm(&tm));
}

// ExpirationDate: default 5 minutes from now, at most 60; nullopt when malformed or out of range.
std::optional<std::int64_t> expiration(const httplib::Request& req, std::int64_t now) {
    std::string text = req.get_param_value("ExpirationDate");
    if (text.empty()) {
        return now + k_default_expiry;
    }
    auto at = parse_iso(text);
    if (!at || *at <= now || *at > now + k_max_expiry) {
        return std::nullopt;
    }
    return at;
}

// Details.Fields items: JSON objects of label (<= 36) and value (<= 128), at most 20.
std::optional<std::vector<std::pair<std::string, std::string>>>
detail_fields(const httplib::Request& req) {
    std::vector<std::pair<std::string, std::string>> out;
    auto n = req.get_param_value_count("Details.Fields");
    if (n > 20) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < n; ++i) {
        auto j = json::parse(req.get_param_value("Details.Fields", i), nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("label") || !j.contains("value") ||
            !j["label"].is_string() || !j["value"].is_string() ||
            j["label"].get<std::string>().size() > 36 ||
            j["value"].get<std::string>().size() > 128) {
            return std::nullopt;
        }
        out.emplace_back(j["label"].get<std::string>(), j["value"].get<std::string>());
    }
    return out;
}

// HiddenDetails: a JSON object of strings, at most 1024 characters.
std::optional<std::vector<std::pair<std::string, std::string>>>
hidden_details(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    if (text.empty()) {
        return out;
    }
    auto j = json::parse(text, nullptr, false);
    if (text.size() > 1024 || j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    for (const auto& [k, v] : j.items()) {
        if (!v.is_string()) {
            return std::nullopt;
        }
        out.emplace_back(k, v.get<std::string>());
    }
    return out;
}

// A push challenge's message and details into facts; the name of a malformed parameter, or "".
std::string push_details(const httplib::Request& req, authy::CallbackFacts& facts) {
    facts.message = req.get_param_value("Details.Message");
    auto fields = detail_fields(req);
    auto hidden = hidden_details(req.get_param_value("HiddenDetails"));
    if (facts.message.empty() || facts.message.size() > 256) {
        return "Details.Message";
    }
    if (!fields) {
        return "Details.Fields";
    }
    if (!hidden) {
        return "HiddenDetails";
    }
    facts.details = std::move(*fields);
    facts.hidden_details = std::move(*hidden);
    return {};
}

ChallengeView push_view(const authy::CallbackFacts& f, const detail::VerifyPushFacts& v,
                        const std::string& entity_sid) {
    json fields = json::array();
    for (const auto& [label, value] : f.details) {
        fields.push_back({{"label", label}, {"value", value}});
    }
    json hidden = json::object();
    for (const auto& [k, value] : f.hidden_details) {
        hidden[k] = value;
    }
    return ChallengeView{
        f.uuid,
        v.service_sid,
        entity_sid,
        v.identity,
        v.factor_sid,
        "push",
        f.status,
        f.created_at,
        f.answered_at,
        f.expires_at,
        json{{"message", f.message}, {"date", verify::iso_date(f.created_at)}, {"fields", fields}},
        hidden};
}

ChallengeView totp_view(const VChallenge& c, const VFactor& f) {
    return ChallengeView{c.sid,      f.service, f.entity_sid,
                         f.identity, f.sid,     "totp",
                         c.status,   c.created, c.status == "approved" ? c.created : 0,
                         c.expires,  nullptr,   nullptr};
}

} // namespace

void Sandbox::Impl::v_challenge_create(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    auto fit = verify_state.factors.find(req.get_param_value("FactorSid"));
    if (fit == verify_state.factors.end() || fit->second.identity != req.matches[2].str() ||
        fit->second.service != req.matches[1].str()) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: FactorSid", 400);
    }
    VFactor& f = fit->second;
    if (f.status != "verified") {
        return v_error(res, verify::k_invalid_parameter,
                       "Invalid parameter: FactorSid (the factor is not verified)", 400);
    }
    const std::int64_t now = unix_now();
    auto expiry = expiration(req, now);
    if (!expiry) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: ExpirationDate", 400);
    }
    const std::int64_t expires = *expiry;
    if (f.type == "totp") {
        std::string code = req.get_param_value("AuthPayload");
        if (code.size() < 3 || code.size() > 8) {
            return v_error(res, verify::k_invalid_parameter, "Invalid parameter: AuthPayload", 400);
        }
        VChallenge c{verify::new_sid("YC"), f.sid, v_totp_ok(f, code) ? "approved" : "pending", now,
                     expires};
        verify_state.challenges[c.sid] = c;
        return send_json(res, 201,
                         challenge_json(totp_view(c, f), account_of(req), base_url).dump());
    }
    authy::CallbackFacts facts;
    if (std::string bad = push_details(req, facts); !bad.empty()) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: " + bad, 400);
    }
    facts.created_at = now;
    facts.expires_at = expires;
    detail::VerifyPushFacts v{account_of(req), f.service, f.identity, f.sid, f.friendly_name, {}};
    if (!options.verify_webhook_url.empty()) {
        v.hooks.emplace_back(options.verify_webhook_url, std::vector<std::string>{"*"});
    }
    for (const auto& [sid, w] : verify_state.webhooks) {
        if (w.service == f.service && w.status == "enabled") {
            v.hooks.emplace_back(w.url, w.events);
        }
    }
    auto answer = f.answer;
    std::string entity_sid = f.entity_sid;
    lock.unlock(); // the desk saves the state through this mutex
    auto view_facts = facts;
    view_facts.uuid = desk.create_challenge(std::move(facts), v, answer);
    view_facts.status = "pending";
    send_json(
        res, 201,
        challenge_json(push_view(view_facts, v, entity_sid), account_of(req), base_url).dump());
}

void Sandbox::Impl::v_challenges(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    std::string service = req.matches[1];
    std::string identity = req.matches[2];
    std::string one = req.matches.size() > 3 ? req.matches[3].str() : "";
    auto entity = verify_state.entities.find(service + "/" + identity);
    std::string entity_sid = entity == verify_state.entities.end() ? "" : entity->second.sid;
    std::vector<ChallengeView> views;
    for (const auto& [sid, c] : verify_state.challenges) {
        auto f = verify_state.factors.find(c.factor_sid);
        if (f != verify_state.factors.end() && f->second.identity == identity &&
            f->second.service == service) {
            views.push_back(totp_view(c, f->second));
        }
    }
    lock.unlock();
    for (const auto& [facts, v] : desk.challenges_of(service, identity)) {
        views.push_back(push_view(facts, v, entity_sid));
    }
    std::vector<json> items;
    for (const ChallengeView& c : views) {
        if (one.empty() || c.sid == one) {
            items.push_back(challenge_json(c, account_of(req), base_url));
        }
    }
    v_list_or_one(req, res, "challenges", items, !one.empty());
}

// A pending TOTP challenge answered with AuthPayload.
void Sandbox::Impl::v_challenge_update(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    auto it = verify_state.challenges.find(req.matches[3]);
    if (it == verify_state.challenges.end()) {
        return v_error(res, verify::k_invalid_parameter,
                       "Invalid parameter: AuthPayload (push challenges are answered on the "
                       "phone: POST /sandbox/challenges/{sid}/approve)",
                       400);
    }
    VChallenge& c = it->second;
    VFactor& f = verify_state.factors.at(c.factor_sid);
    if (c.status == "pending" && unix_now() >= c.expires) {
        c.status = "expired";
    }
    if (c.status == "pending" && v_totp_ok(f, req.get_param_value("AuthPayload"))) {
        c.status = "approved";
    }
    send_json(res, 200, challenge_json(totp_view(c, f), account_of(req), base_url).dump());
}

// The simulated phone installs the Verify Push SDK: a verified push factor that answers
// challenges by the scenario given (approve, deny or never).
void Sandbox::Impl::push_device(const httplib::Request& req, httplib::Response& res) {
    auto j = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    std::string answer = j.is_object() ? j.value("answer", "approve") : "";
    std::string service = j.is_object() ? j.value("service_sid", k_default_service) : "";
    std::string identity = req.matches[1];
    if (!verify::is_identity(identity) ||
        (answer != "approve" && answer != "deny" && answer != "never")) {
        return send_json(
            res, 400,
            R"({"error":"body must be {\"answer\":\"approve|deny|never\", \"service_sid\":\"VA...\"}"})");
    }
    std::lock_guard lock(mutex);
    auto entity = verify_state.entities.find(service + "/" + identity);
    if (entity == verify_state.entities.end()) {
        return send_json(res, 404, R"({"error":"no such entity in that service"})");
    }
    VFactor f;
    f.sid = verify::new_sid("YF");
    f.service = service;
    f.entity_sid = entity->second.sid;
    f.identity = identity;
    f.type = "push";
    f.status = "verified";
    f.friendly_name = "sandbox phone";
    f.answer = answer == "deny"    ? detail::PhoneScenario::deny
               : answer == "never" ? detail::PhoneScenario::never
                                   : detail::PhoneScenario::approve;
    f.push_config = {{"binding", {{"alg", "ES256"}, {"public_key", "sandbox"}}},
                     {"config",
                      {{"sdk_version", "sandbox"},
                       {"app_id", "twofa-sandbox"},
                       {"notification_platform", "none"},
                       {"notification_token", nullptr}}}};
    f.created = f.updated = unix_now();
    verify_state.factors[f.sid] = f;
    send_json(res, 201, factor_json(f, account_of(req), base_url, "", false).dump());
}

} // namespace twofa
