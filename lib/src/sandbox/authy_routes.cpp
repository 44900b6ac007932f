// twofa-sandbox: Authy's API, answered as Authy did.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/otp.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

// The truthy forms Authy's Rails stack took for a boolean parameter (force=True is what
// authy-python sends for {'force': True}).
bool truthy(const std::string& value) {
    static const std::set<std::string> k_true{"true", "True", "TRUE", "1", "t", "on"};
    return k_true.count(value) != 0U;
}

// The request's logos, PHP-style ("logos[0][res]", or "logos[][res]" then "logos[][url]"),
// in order: an entry ends when its field comes again or the index changes.
std::vector<std::pair<std::string, std::string>>
logos_of(const std::map<std::string, std::string>& params) {
    std::vector<std::pair<std::string, std::string>> out;
    std::map<std::string, std::pair<std::string, std::string>> indexed;
    for (const auto& [key, value] : params) {
        if (key.rfind("logos[", 0) != 0) {
            continue;
        }
        auto close = key.find(']');
        std::string index = key.substr(6, close - 6);
        std::string field = close == std::string::npos ? "" : key.substr(close + 1);
        auto& logo = indexed[index];
        (field == "[res]" ? logo.first : logo.second) = value;
    }
    out.reserve(indexed.size());
    for (const auto& [index, logo] : indexed) {
        out.push_back(logo);
    }
    return out;
}

} // namespace

void Sandbox::Impl::users_new(const httplib::Request& req, httplib::Response& res) {
    auto p = params(req);
    if (!p) {
        send_json(res, 400, authy::error_body("Invalid JSON body", "60000"));
        return;
    }
    auto get = [&](const char* nested, const char* flat) {
        auto it = p->find(nested);
        if (it == p->end()) {
            it = p->find(flat);
        }
        return it == p->end() ? std::string() : it->second;
    };
    std::string email = get("user[email]", "email");
    std::string phone = get("user[cellphone]", "cellphone");
    std::string cc = get("user[country_code]", "country_code");
    std::map<std::string, std::string> bad;
    auto valid_email = validate_email(email);
    auto valid_phone = validate_phone(phone);
    auto valid_cc = validate_country_code(cc);
    if (!valid_email.ok()) {
        bad["email"] = email.empty() ? "is required" : "is invalid";
    }
    if (!valid_phone.ok()) {
        bad["cellphone"] = phone.empty() ? "is required" : "is invalid";
    }
    if (!valid_cc.ok()) {
        bad["country_code"] = cc.empty() ? "is required" : "is invalid";
    }
    if (!bad.empty()) {
        send_json(res, 400, authy::error_body("User was not valid", authy::k_user_invalid, bad));
        return;
    }
    if (suffix(*valid_phone) == "4444") {
        send_json(res, 400,
                  authy::error_body("Invalid phone number", authy::k_invalid_phone,
                                    {{"cellphone", "is invalid"}}));
        return;
    }
    std::lock_guard lock(mutex);
    // Authy answers a known email with the user it already has.
    if (auto known = user_by_email.find(lower(*valid_email)); known != user_by_email.end()) {
        SandboxUser& u = users.at(known->second);
        u.cellphone = *valid_phone;
        u.country_code = *valid_cc;
        save_locked();
        send_json(res, 200, authy::user_created_body(u.id));
        return;
    }
    SandboxUser u{next_id++, *valid_email, *valid_phone, *valid_cc, random_bytes(20)};
    users[u.id] = u;
    user_by_email[lower(u.email)] = u.id;
    if (truthy(get("send_install_link_via_sms", "user[send_install_link_via_sms]"))) {
        codes.push_back(SentCode{u.id, "sms", "", unix_now(), false, "",
                                 "Download Authy at https://authy.com/download to log in."});
    }
    save_locked();
    send_json(res, 200, authy::user_created_body(u.id));
}

void Sandbox::Impl::user_status(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[1]);
    if (!u) {
        return not_found(res);
    }
    authy::UserStatus s;
    s.authy_id = u->id;
    s.registered = has_app(*u);
    s.confirmed = false;
    s.country_code = u->country_code;
    s.phone_number = "XXX-XXX-" + suffix(u->cellphone);
    if (s.registered) {
        s.devices = {"android"};
    }
    send_json(res, 200, authy::user_status_body(s, u->email));
}

void Sandbox::Impl::user_delete(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[1]);
    if (!u) {
        return not_found(res);
    }
    user_by_email.erase(lower(u->email));
    users.erase(u->id);
    save_locked();
    send_json(res, 200, authy::user_deleted_body());
}

void Sandbox::Impl::send_code(const httplib::Request& req, httplib::Response& res) {
    bool voice = req.matches[1] == "call";
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[2]);
    if (!u) {
        return not_found(res);
    }
    std::string masked = "+" + std::to_string(u->country_code) + "-XXX-XXX-" + suffix(u->cellphone);
    bool force = truthy(req.get_param_value("force"));
    if (has_app(*u) && !force) {
        send_json(res, 200, authy::code_ignored_body(voice, masked));
        return;
    }
    codes.push_back(
        SentCode{u->id, voice ? "call" : "sms", random_code(), unix_now(), false, "", ""});
    send_json(res, 200, authy::code_sent_body(voice, masked));
}

// Valid: the latest unexpired SMS / voice code, or the app's TOTP code (one step either
// way). A code that was already accepted is "reused" (60019).
void Sandbox::Impl::verify(const httplib::Request& req, httplib::Response& res) {
    const std::string token = req.matches[1];
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[2]);
    if (!u) {
        return not_found(res);
    }
    bool digits =
        std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || token.size() < 6 || token.size() > 12) {
        send_json(res, 401, authy::token_invalid_body(false));
        return;
    }
    const std::int64_t now = unix_now();
    for (auto it = codes.rbegin(); it != codes.rend(); ++it) {
        if (it->authy_id != u->id || it->code.empty()) {
            continue; // another user's, or a message that is not a code
        }
        if (now - it->at < k_code_lifetime && equal_constant_time(it->code, token)) {
            if (it->used) {
                send_json(res, 401, authy::token_invalid_body(true));
                return;
            }
            it->used = true;
            send_json(res, 200, authy::token_valid_body());
            return;
        }
        break; // only the latest code counts
    }
    for (std::int64_t step = -1; step <= 1; ++step) {
        std::int64_t t = now + step * k_totp_step;
        if (equal_constant_time(totp(u->totp_key, t, k_code_digits, k_totp_step), token)) {
            if (!used_totp.insert({u->id, t / k_totp_step}).second) {
                send_json(res, 401, authy::token_invalid_body(true));
                return;
            }
            send_json(res, 200, authy::token_valid_body(u->id + 1)); // the app's device id
            return;
        }
    }
    send_json(res, 401, authy::token_invalid_body(false));
}

void Sandbox::Impl::app_details(httplib::Response& res) {
    send_json(res, 200,
              json{{"app",
                    {{"name", "twofa-sandbox"},
                     {"plan", "sandbox"},
                     {"sms_enabled", true},
                     {"phone_calls_enabled", true},
                     {"app_id", 1},
                     {"onetouch_enabled", true}}},
                   {"message", "Application information."},
                   {"success", true}}
                  .dump());
}

void Sandbox::Impl::approval_create(const httplib::Request& req, httplib::Response& res) {
    auto p = params(req);
    if (!p) {
        send_json(res, 400, authy::error_body("Invalid JSON body", "60000"));
        return;
    }
    std::optional<SandboxUser> u;
    {
        std::lock_guard lock(mutex);
        u = find_locked(req.matches[1]);
    }
    if (!u) {
        return not_found(res);
    }
    std::string message = p->count("message") != 0U ? p->at("message") : "";
    if (message.empty()) {
        send_json(res, 400,
                  authy::error_body("Invalid message - should not be empty", "60080",
                                    {{"message", "is required"}}));
        return;
    }
    if (!has_app(*u)) {
        send_json(res, 400, authy::error_body("User has no device for OneTouch", "60050"));
        return;
    }
    std::int64_t seconds = 86400; // the documented default, when none is sent
    if (auto it = p->find("seconds_to_expire"); it != p->end() && !it->second.empty()) {
        try {
            seconds = std::stoll(it->second);
        } catch (const std::exception&) {
            seconds = -1;
        }
        if (seconds < 0 || seconds > std::int64_t{86400} * 30) {
            send_json(res, 400,
                      authy::error_body("Invalid seconds_to_expire", "60080",
                                        {{"seconds_to_expire", "is invalid"}}));
            return;
        }
    }
    authy::CallbackFacts f;
    f.authy_id = u->id;
    f.message = message;
    for (const auto& [k, v] : *p) {
        for (const char* prefix : {"details[", "hidden_details["}) {
            std::string pre = prefix;
            if (k.rfind(pre, 0) == 0 && k.back() == ']') {
                auto& target = pre == "details[" ? f.details : f.hidden_details;
                target.emplace_back(k.substr(pre.size(), k.size() - pre.size() - 1), v);
            }
        }
    }
    f.logos = logos_of(*p);
    f.created_at = unix_now();
    f.expires_at = seconds == 0 ? 0 : f.created_at + seconds;
    std::string tail = suffix(u->cellphone);
    auto phone = tail == "1111"   ? detail::PhoneScenario::deny
                 : tail == "3333" ? detail::PhoneScenario::never
                                  : detail::PhoneScenario::approve;
    send_json(res, 200, authy::approval_created_body(desk.create(f, u->email, phone)));
}

void Sandbox::Impl::approval_status(const httplib::Request& req, httplib::Response& res) {
    auto found = desk.find(req.matches[1]);
    if (!found) {
        send_json(res, 404, authy::approval_not_found_body(req.matches[1]));
        return;
    }
    send_json(res, 200, authy::approval_status_body(found->first, found->second));
}

void Sandbox::Impl::api_routes() {
    server.Post("/protected/json/users/new",
                [this](const httplib::Request& q, httplib::Response& r) { users_new(q, r); });
    route_get(R"(/protected/json/users/([^/]+)/status)",
              [this](const httplib::Request& q, httplib::Response& r) { user_status(q, r); });
    for (const char* path :
         {R"(/protected/json/users/([^/]+)/delete)", R"(/protected/json/users/delete/([^/]+))",
          R"(/protected/json/users/([^/]+)/remove)"}) {
        server.Post(path,
                    [this](const httplib::Request& q, httplib::Response& r) { user_delete(q, r); });
    }
    route_get(R"(/protected/json/(sms|call)/([^/]+))",
              [this](const httplib::Request& q, httplib::Response& r) { send_code(q, r); });
    route_get(R"(/protected/json/verify/([^/]+)/([^/]+))",
              [this](const httplib::Request& q, httplib::Response& r) { verify(q, r); });
    route_get("/protected/json/app/details",
              [this](const httplib::Request&, httplib::Response& r) { app_details(r); });
    server.Post(R"(/onetouch/json/users/([^/]+)/approval_requests)",
                [this](const httplib::Request& q, httplib::Response& r) { approval_create(q, r); });
    route_get(R"(/onetouch/json/approval_requests/([^/]+))",
              [this](const httplib::Request& q, httplib::Response& r) { approval_status(q, r); });
}

} // namespace twofa
