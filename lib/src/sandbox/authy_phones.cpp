// twofa-sandbox: Authy's Phone Verification (v1) and Phone Intelligence calls, with the shapes
// of authy-client's fixtures (start: carrier, is_cellphone, is_ported, message, uuid,
// seconds_to_expire; check: "Verification code is correct."; info: type, provider, ported)
// and the error codes of authy-protocol.md §1.5 (60022 wrong code, 60023 none pending, 60033
// invalid number). The codes are listed in /sandbox/messages with "to".
#include "sandbox/sandbox_impl.hpp"

#include <twofa/time_text.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

std::string display_number(int country_code, const std::string& digits) {
    std::string d = digits;
    if (d.size() == 10) {
        d = d.substr(0, 3) + "-" + d.substr(3, 3) + "-" + d.substr(6);
    }
    return "+" + std::to_string(country_code) + " " + d;
}

void no_pending(httplib::Response& res, int country_code, const std::string& phone) {
    send_json(res, 404,
              authy::error_body("No pending verifications for " +
                                    display_number(country_code, phone) + " found.",
                                "60023"));
}

} // namespace

// The request's parameters and number (phone_number, country_code), or nullopt after answering
// 400 (malformed body, invalid number).
std::optional<Sandbox::Impl::PhoneRequest> Sandbox::Impl::phone_request(const httplib::Request& req,
                                                                        httplib::Response& res) {
    auto found = params(req);
    if (!found) {
        send_json(res, 400, authy::error_body("Invalid JSON body", "60000"));
        return std::nullopt;
    }
    const auto& p = *found;
    auto get = [&](const char* key) {
        auto it = p.find(key);
        return it == p.end() ? std::string() : it->second;
    };
    auto phone = validate_phone(get("phone_number"));
    auto cc = validate_country_code(get("country_code"));
    if (!phone.ok() || !cc.ok() || suffix(*phone) == "4444") {
        send_json(res, 400,
                  authy::error_body("Phone number is invalid", authy::k_invalid_phone,
                                    {{"phone_number", "is invalid"}}));
        return std::nullopt;
    }
    return PhoneRequest{p, *cc, *phone};
}

void Sandbox::Impl::phone_start(const httplib::Request& req, httplib::Response& res) {
    auto r = phone_request(req, res);
    if (!r) {
        return;
    }
    const auto* p = &r->params;
    std::string via = p->count("via") != 0U ? p->at("via") : "sms";
    int length = 4;
    if (auto it = p->find("code_length"); it != p->end()) {
        const std::string& v = it->second;
        bool digits = !v.empty() && v.size() <= 2 &&
                      std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        length = digits ? std::stoi(v) : 0;
    }
    if ((via != "sms" && via != "call") || length < 4 || length > 10) {
        return send_json(
            res, 400,
            authy::error_body(via != "sms" && via != "call" ? "Invalid via" : "Invalid code_length",
                              "60004"));
    }
    const std::int64_t now = unix_now();
    std::string to = "+" + std::to_string(r->country_code) + r->phone;
    std::lock_guard lock(mutex);
    PhoneVerification v{new_uuid_text(),     r->country_code, r->phone,
                        random_code(length), "pending",       now};
    phone_verifications.push_back(v);
    codes.push_back(SentCode{0, via, v.code, now, false, to, ""});
    std::string shown = display_number(r->country_code, r->phone);
    json body = {{"carrier", "twofa sandbox"},
                 {"is_cellphone", suffix(r->phone) != "2222"},
                 {"is_ported", false},
                 {"message", via == "sms" ? "Text message sent to " + shown + "."
                                          : "Call to " + shown + " initiated."},
                 {"seconds_to_expire", k_code_lifetime - 1},
                 {"uuid", v.uuid},
                 {"success", true}};
    send_json(res, 200, body.dump());
}

// The newest verification of that number still pending (or verified, for status), or nullptr.
Sandbox::Impl::PhoneVerification*
Sandbox::Impl::phone_pending(int country_code, const std::string& phone, bool verified_too) {
    const std::int64_t now = unix_now();
    for (auto it = phone_verifications.rbegin(); it != phone_verifications.rend(); ++it) {
        if (it->country_code == country_code && it->phone == phone &&
            now - it->created < k_code_lifetime &&
            (it->status == "pending" || (verified_too && it->status == "verified"))) {
            return &*it;
        }
    }
    return nullptr;
}

void Sandbox::Impl::phone_check(const httplib::Request& req, httplib::Response& res) {
    auto r = phone_request(req, res);
    if (!r) {
        return;
    }
    auto code_it = r->params.find("verification_code");
    std::string code = code_it != r->params.end() ? code_it->second : "";
    std::lock_guard lock(mutex);
    PhoneVerification* v = phone_pending(r->country_code, r->phone, false);
    if (v == nullptr) {
        return no_pending(res, r->country_code, r->phone);
    }
    if (!equal_constant_time(code, v->code)) {
        return send_json(res, 401, authy::error_body("Verification code is incorrect", "60022"));
    }
    v->status = "verified";
    send_json(res, 200, R"({"message":"Verification code is correct.","success":true})");
}

void Sandbox::Impl::phone_status(const httplib::Request& req, httplib::Response& res) {
    auto r = phone_request(req, res);
    if (!r) {
        return;
    }
    std::lock_guard lock(mutex);
    PhoneVerification* v = phone_pending(r->country_code, r->phone, true);
    if (v == nullptr) {
        return no_pending(res, r->country_code, r->phone);
    }
    json body = {
        {"message", "Phone Verification status."},
        {"status", v->status},
        {"seconds_to_expire", std::max<std::int64_t>(0, v->created + k_code_lifetime - unix_now())},
        {"success", true}};
    send_json(res, 200, body.dump());
}

void Sandbox::Impl::phone_info(const httplib::Request& req, httplib::Response& res) {
    auto r = phone_request(req, res);
    if (!r) {
        return;
    }
    json body = {{"message", "Phone number information as of " +
                                 utc_text(unix_now(), "%Y-%m-%d %H:%M:%S UTC")},
                 {"ported", false},
                 {"provider", "twofa sandbox"},
                 {"success", true},
                 {"type", suffix(r->phone) == "2222" ? "landline" : "cellphone"}};
    send_json(res, 200, body.dump());
}

void Sandbox::Impl::phone_routes() {
    server.Post("/protected/json/phones/verification/start",
                [this](const httplib::Request& q, httplib::Response& r) { phone_start(q, r); });
    route_get("/protected/json/phones/verification/check",
              [this](const httplib::Request& q, httplib::Response& r) { phone_check(q, r); });
    route_get("/protected/json/phones/verification/status",
              [this](const httplib::Request& q, httplib::Response& r) { phone_status(q, r); });
    route_get("/protected/json/phones/info",
              [this](const httplib::Request& q, httplib::Response& r) { phone_info(q, r); });
}

} // namespace twofa
