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

std::string phone_body(const std::string& message, const std::string& code) {
    return authy::error_body(message, code);
}

} // namespace

// The number of a request (phone_number, country_code), or nullopt after answering 400.
std::optional<std::pair<int, std::string>>
Sandbox::Impl::phone_of(const std::map<std::string, std::string>& p, httplib::Response& res) {
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
    return std::make_pair(*cc, *phone);
}

void Sandbox::Impl::phone_start(const httplib::Request& req, httplib::Response& res) {
    auto p = params(req);
    if (!p) {
        return send_json(res, 400, phone_body("Invalid JSON body", "60000"));
    }
    auto number = phone_of(*p, res);
    if (!number) {
        return;
    }
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
    std::string to = "+" + std::to_string(number->first) + number->second;
    std::lock_guard lock(mutex);
    PhoneVerification v{new_uuid_text(),     number->first, number->second,
                        random_code(length), "pending",     now};
    phone_verifications.push_back(v);
    codes.push_back(SentCode{0, via, v.code, now, false, to, ""});
    std::string shown = display_number(number->first, number->second);
    json body = {{"carrier", "twofa sandbox"},
                 {"is_cellphone", suffix(number->second) != "2222"},
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
    auto p = params(req);
    auto number = p ? phone_of(*p, res) : std::nullopt;
    if (!number) {
        return;
    }
    std::string code = p->count("verification_code") != 0U ? p->at("verification_code") : "";
    std::lock_guard lock(mutex);
    PhoneVerification* v = phone_pending(number->first, number->second, false);
    if (v == nullptr) {
        return send_json(res, 404,
                         phone_body("No pending verifications for " +
                                        display_number(number->first, number->second) + " found.",
                                    "60023"));
    }
    if (!equal_constant_time(code, v->code)) {
        return send_json(res, 401, phone_body("Verification code is incorrect", "60022"));
    }
    v->status = "verified";
    send_json(res, 200, R"({"message":"Verification code is correct.","success":true})");
}

void Sandbox::Impl::phone_status(const httplib::Request& req, httplib::Response& res) {
    auto p = params(req);
    auto number = p ? phone_of(*p, res) : std::nullopt;
    if (!number) {
        return;
    }
    std::lock_guard lock(mutex);
    PhoneVerification* v = phone_pending(number->first, number->second, true);
    if (v == nullptr) {
        return send_json(res, 404,
                         phone_body("No pending verifications for " +
                                        display_number(number->first, number->second) + " found.",
                                    "60023"));
    }
    json body = {
        {"message", "Phone Verification status."},
        {"status", v->status},
        {"seconds_to_expire", std::max<std::int64_t>(0, v->created + k_code_lifetime - unix_now())},
        {"success", true}};
    send_json(res, 200, body.dump());
}

void Sandbox::Impl::phone_info(const httplib::Request& req, httplib::Response& res) {
    auto p = params(req);
    auto number = p ? phone_of(*p, res) : std::nullopt;
    if (!number) {
        return;
    }
    json body = {{"message", "Phone number information as of " +
                                 utc_text(unix_now(), "%Y-%m-%d %H:%M:%S UTC")},
                 {"ported", false},
                 {"provider", "twofa sandbox"},
                 {"success", true},
                 {"type", suffix(number->second) == "2222" ? "landline" : "cellphone"}};
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
