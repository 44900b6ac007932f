// twofa-sandbox: Twilio Verify v2 under /v2/ - HTTP Basic, services, verifications and their
// checks, webhooks, and the route table (entities, factors, challenges: verify_factors.cpp).
#include "sandbox/sandbox_impl.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/wire.hpp>

#include <openssl/evp.h>

#include <regex>
#include <tuple>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

// Basic credentials decoded ("user:password"); "" when absent or not Basic.
std::string basic_credentials(const httplib::Request& req) {
    std::string h = req.get_header_value("Authorization");
    if (h.rfind("Basic ", 0) != 0 || h.size() > 1024) {
        return {};
    }
    std::string b64 = h.substr(6);
    std::string out(3 * (b64.size() / 4) + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    if (n < 0) {
        return {};
    }
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '\0') { // EVP_DecodeBlock counts the padding
        out.pop_back();
    }
    return out;
}

bool is_e164(const std::string& to) {
    static const std::regex k_e164(R"(\+[1-9][0-9]{6,14})");
    return std::regex_match(to, k_e164);
}

} // namespace

bool Sandbox::Impl::basic_ok(const httplib::Request& req) const {
    std::string creds = basic_credentials(req);
    auto colon = creds.find(':');
    if (colon == std::string::npos || options.auth_token.empty()) {
        return false;
    }
    std::string user = creds.substr(0, colon);
    return (verify::is_sid(user, "AC") || verify::is_sid(user, "SK")) &&
           equal_constant_time(creds.substr(colon + 1), options.auth_token);
}

std::string Sandbox::Impl::account_of(const httplib::Request& req) {
    std::string user = basic_credentials(req);
    user = user.substr(0, user.find(':'));
    return verify::is_sid(user, "AC") ? user : "AC" + std::string(32, '0');
}

void Sandbox::Impl::v_list(const httplib::Request& req, httplib::Response& res, const char* key,
                           const std::vector<json>& items) {
    int size = 50;
    int page = 0;
    for (auto [name, value, lo, hi] :
         {std::tuple{"PageSize", &size, 1, 1000}, std::tuple{"Page", &page, 0, 1000000}}) {
        std::string text = req.get_param_value(name);
        if (text.empty()) {
            continue;
        }
        if (text.size() > 7 || !std::all_of(text.begin(), text.end(), ::isdigit) ||
            std::stoi(text) < lo || std::stoi(text) > hi) {
            return v_error(res, verify::k_invalid_parameter,
                           std::string("Invalid parameter: ") + name, 400);
        }
        *value = std::stoi(text);
    }
    send_json(res, 200, page_json(key, items, base_url, req.path, size, page).dump());
}

void Sandbox::Impl::v_list_or_one(const httplib::Request& req, httplib::Response& res,
                                  const char* key, const std::vector<json>& items, bool one) {
    if (!one) {
        return v_list(req, res, key, items);
    }
    if (items.empty()) {
        return v_not_found(req, res);
    }
    send_json(res, 200, items.front().dump());
}

VVerification* Sandbox::Impl::v_pending(const std::string& service, const std::string& to,
                                        const std::string& sid) {
    const std::int64_t now = unix_now();
    for (auto& [vsid, v] : verify_state.verifications) {
        if (v.service == service && v.status == "pending" && now - v.created < k_code_lifetime &&
            (sid.empty() ? v.to == to : vsid == sid)) {
            return &v;
        }
    }
    return nullptr;
}

void Sandbox::Impl::v_not_found(const httplib::Request& req, httplib::Response& res) {
    v_error(res, verify::k_not_found,
            "The requested resource " + req.path.substr(3) + " was not found", 404);
}

void Sandbox::Impl::v_error(httplib::Response& res, int code, const std::string& message,
                            int status) {
    send_json(res, status, verify::error_body(code, message, status));
}

VService* Sandbox::Impl::v_service(const httplib::Request& req, httplib::Response& res) {
    auto it = verify_state.services.find(req.matches[1]);
    if (it == verify_state.services.end()) {
        v_not_found(req, res);
        return nullptr;
    }
    return &it->second;
}

void Sandbox::Impl::v_services(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (req.matches.size() > 1 && !req.matches[1].str().empty()) {
        if (VService* s = v_service(req, res)) {
            send_json(res, 200, service_json(*s, account_of(req), base_url).dump());
        }
        return;
    }
    std::vector<json> items;
    for (const auto& [sid, s] : verify_state.services) {
        items.push_back(service_json(s, account_of(req), base_url));
    }
    v_list(req, res, "services", items);
}

void Sandbox::Impl::v_service_create(const httplib::Request& req, httplib::Response& res) {
    std::string name = req.get_param_value("FriendlyName");
    if (name.empty() || name.size() > 30) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: FriendlyName", 400);
    }
    VService s{verify::new_sid("VA"), name, 6, req.get_param_value("Totp.Issuer"), unix_now()};
    if (std::string len = req.get_param_value("CodeLength"); !len.empty()) {
        if (len.size() > 2 || !std::all_of(len.begin(), len.end(), ::isdigit) ||
            std::stoi(len) < 4 || std::stoi(len) > 10) {
            return v_error(res, verify::k_invalid_parameter, "Invalid parameter: CodeLength", 400);
        }
        s.code_length = std::stoi(len);
    }
    std::lock_guard lock(mutex);
    verify_state.services[s.sid] = s;
    send_json(res, 201, service_json(s, account_of(req), base_url).dump());
}

void Sandbox::Impl::v_verification_create(const httplib::Request& req, httplib::Response& res) {
    std::string to = req.get_param_value("To");
    std::string channel = req.get_param_value("Channel");
    if (channel != "sms" && channel != "call" && channel != "email") {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: Channel", 400);
    }
    bool valid_to = channel == "email" ? validate_email(to).ok() : is_e164(to);
    if (!valid_to || (channel != "email" && suffix(to) == "4444")) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: To", 400);
    }
    std::lock_guard lock(mutex);
    VService* s = v_service(req, res);
    if (s == nullptr) {
        return;
    }
    const std::int64_t now = unix_now();
    VVerification* v = v_pending(s->sid, to, "");
    if (v != nullptr && v->sends.size() >= static_cast<std::size_t>(k_verify_max_sends)) {
        return v_error(res, verify::k_max_send_attempts, "Max send attempts reached", 429);
    }
    if (v == nullptr) {
        VVerification fresh{verify::new_sid("VE"),       s->sid, to, channel, "pending",
                            random_code(s->code_length), 0,      {}, now,     now};
        v = &verify_state.verifications.emplace(fresh.sid, fresh).first->second;
    }
    v->channel = channel; // a resend may change the channel; the code stays
    v->updated = now;
    v->sends.emplace_back(now, verify::new_sid("VL"));
    codes.push_back(SentCode{0, channel, v->code, now, false, to, ""});
    send_json(res, 201, verification_json(*v, account_of(req), base_url).dump());
}

void Sandbox::Impl::v_verification_fetch(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    auto it = verify_state.verifications.find(req.matches[2]);
    if (v_service(req, res) == nullptr) {
        return;
    }
    if (it == verify_state.verifications.end() || it->second.service != req.matches[1]) {
        return v_not_found(req, res);
    }
    VVerification& v = it->second;
    if (std::string status = req.get_param_value("Status"); req.method == "POST") {
        if ((status != "canceled" && status != "approved") || v.status != "pending") {
            return v_error(res, 60441, "Illegal status", 400);
        }
        v.status = status;
        v.updated = unix_now();
    }
    send_json(res, 200, verification_json(v, account_of(req), base_url).dump());
}

// Verify deletes a verification once it is approved, expired or out of checks: a check then
// answers 20404. Five wrong codes, and the sixth check answers 60202.
void Sandbox::Impl::v_check(const httplib::Request& req, httplib::Response& res) {
    std::string code = req.get_param_value("Code");
    std::string to = req.get_param_value("To");
    std::string sid = req.get_param_value("VerificationSid");
    if (code.size() < 4 || code.size() > 10) {
        return v_error(res, verify::k_invalid_parameter, "Invalid parameter: Code", 400);
    }
    if (to.empty() == sid.empty()) {
        return v_error(res, verify::k_invalid_parameter,
                       "Invalid parameter: give To or VerificationSid", 400);
    }
    std::lock_guard lock(mutex);
    VService* s = v_service(req, res);
    if (s == nullptr) {
        return;
    }
    const std::int64_t now = unix_now();
    VVerification* v = v_pending(s->sid, to, sid);
    if (v == nullptr) {
        return v_error(
            res, verify::k_not_found,
            "The requested resource /Services/" + s->sid + "/VerificationCheck was not found", 404);
    }
    v->updated = now;
    if (v->checks >= k_verify_max_checks) {
        v->status = "max_attempts_reached";
        return v_error(res, verify::k_max_check_attempts, "Max check attempts reached", 429);
    }
    if (equal_constant_time(code, v->code)) {
        v->status = "approved";
    } else {
        ++v->checks;
    }
    send_json(res, 200, check_json(*v, account_of(req)).dump());
}

void Sandbox::Impl::v_webhook_create(const httplib::Request& req, httplib::Response& res) {
    static const std::set<std::string> k_events{"*",
                                                "factor.deleted",
                                                "factor.created",
                                                "factor.verified",
                                                "challenge.approved",
                                                "challenge.denied"};
    VWebhook w{verify::new_sid("YW"),
               req.matches[1],
               req.get_param_value("FriendlyName"),
               req.get_param_value("WebhookUrl"),
               {},
               req.get_param_value("Status"),
               req.get_param_value("Version"),
               unix_now()};
    auto n = req.get_param_value_count("EventTypes");
    for (std::size_t i = 0; i < n; ++i) {
        w.events.push_back(req.get_param_value("EventTypes", i));
    }
    auto url = parse_url(w.url);
    std::string bad;
    if (w.friendly_name.empty()) {
        bad = "FriendlyName";
    } else if (w.events.empty() ||
               !std::all_of(w.events.begin(), w.events.end(),
                            [](const std::string& e) { return k_events.count(e) != 0U; })) {
        bad = "EventTypes";
    } else if (!url.ok() || !is_loopback_host(url->host)) {
        bad = "WebhookUrl";
    } else if (!w.status.empty() && w.status != "enabled" && w.status != "disabled") {
        bad = "Status";
    } else if (!w.version.empty() && w.version != "v1" && w.version != "v2") {
        bad = "Version";
    }
    if (!bad.empty()) {
        return v_error(res, verify::k_invalid_parameter,
                       "Invalid parameter: " + bad +
                           (bad == "WebhookUrl" ? " (the sandbox calls loopback URLs only)" : ""),
                       400);
    }
    w.status = w.status.empty() ? "enabled" : w.status;
    w.version = w.version.empty() ? "v2" : w.version;
    std::lock_guard lock(mutex);
    if (v_service(req, res) != nullptr) {
        verify_state.webhooks[w.sid] = w;
        send_json(res, 201, webhook_json(w, account_of(req), base_url).dump());
    }
}

void Sandbox::Impl::v_webhooks(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (v_service(req, res) == nullptr) {
        return;
    }
    std::string one = req.matches.size() > 2 ? req.matches[2].str() : "";
    auto it = verify_state.webhooks.find(one);
    if (!one.empty() &&
        (it == verify_state.webhooks.end() || it->second.service != req.matches[1])) {
        return v_not_found(req, res);
    }
    if (!one.empty() && req.method == "DELETE") {
        verify_state.webhooks.erase(it);
        res.status = 204;
        return;
    }
    if (!one.empty()) {
        return send_json(res, 200, webhook_json(it->second, account_of(req), base_url).dump());
    }
    std::vector<json> items;
    for (const auto& [sid, w] : verify_state.webhooks) {
        if (w.service == req.matches[1]) {
            items.push_back(webhook_json(w, account_of(req), base_url));
        }
    }
    v_list(req, res, "webhooks", items);
}

} // namespace twofa
