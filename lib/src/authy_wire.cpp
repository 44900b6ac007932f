#include <twofa/authy_wire.hpp>
#include <twofa/validate.hpp>

#include <nlohmann/json.hpp>

namespace twofa::authy {

using nlohmann::json;

namespace {

std::optional<json> parse_object(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

Error malformed(const std::string& what) {
    return make_error(Exit::unavailable, "malformed reply from Authy: " + what,
                      "the provider or a proxy in between is misbehaving; try again later");
}

std::string hint_for(const std::string& code, long status) {
    if (code == k_invalid_api_key) {
        return "check AUTHY_API_KEY or authy.api_key_file";
    }
    if (code == k_user_invalid || code == k_invalid_phone) {
        return "check the phone number and country code";
    }
    if (code == k_user_not_found) {
        return "the user is not registered at Authy";
    }
    if (status == 429) {
        return "Authy is rate-limiting this API key; try again later";
    }
    return "Authy refused the request";
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            flatten(v, prefix.empty() ? k : prefix + "[" + k + "]", out);
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
            flatten(j[i], prefix + "[" + std::to_string(i) + "]", out);
        }
    } else if (j.is_string()) {
        out[prefix] = j.get<std::string>();
    } else if (j.is_null()) {
        out[prefix] = "";
    } else {
        out[prefix] = j.dump();
    }
}

} // namespace

std::string encode_new_user(const NewUser& u) {
    json j = {{"user",
               {{"email", u.email}, {"cellphone", u.cellphone}, {"country_code", u.country_code}}},
              {"send_install_link_via_sms", u.send_install_link}};
    return j.dump();
}

std::string error_code_of(const std::string& body) {
    auto j = parse_object(body);
    if (!j) {
        return "";
    }
    auto it = j->find("error_code");
    if (it == j->end()) {
        return "";
    }
    if (it->is_string()) {
        return it->get<std::string>();
    }
    if (it->is_number_integer()) {
        return std::to_string(it->get<long long>());
    }
    return "";
}

Error decode_error(const HttpResponse& r) {
    if (r.status == 0) {
        if (r.timed_out) {
            return make_error(Exit::unavailable, "Authy did not answer in time",
                              "check the network, or raise authy.timeout_ms");
        }
        return make_error(Exit::unavailable, "cannot reach Authy: " + r.error,
                          "check the network and authy.url");
    }
    if (r.status >= 500) {
        return make_error(Exit::unavailable, "Authy answered HTTP " + std::to_string(r.status),
                          "the provider is having trouble; try again later");
    }
    if (r.status >= 400) {
        auto j = parse_object(r.body);
        std::string message = "HTTP " + std::to_string(r.status);
        std::string code = error_code_of(r.body);
        if (j) {
            if (auto it = j->find("message"); it != j->end() && it->is_string()) {
                message = strip_control(it->get<std::string>());
            }
        }
        if (!code.empty()) {
            message += " [" + strip_control(code) + "]";
        }
        return make_error(Exit::rejected, "Authy refused the request: " + message,
                          hint_for(code, r.status));
    }
    if (r.status != 200) {
        return malformed("unexpected HTTP " + std::to_string(r.status));
    }
    return malformed("the body is not the expected JSON");
}

Result<std::int64_t> decode_new_user(const HttpResponse& r) {
    if (r.status != 200) {
        return decode_error(r);
    }
    auto j = parse_object(r.body);
    if (!j) {
        return malformed("users/new did not return a JSON object");
    }
    auto user = j->find("user");
    if (user == j->end() || !user->is_object()) {
        return malformed("users/new has no user object");
    }
    auto id = user->find("id");
    if (id == user->end() || !id->is_number_integer() || id->get<long long>() <= 0) {
        return malformed("users/new has no numeric user id");
    }
    return static_cast<std::int64_t>(id->get<long long>());
}

Result<UserStatus> decode_user_status(const HttpResponse& r) {
    if (r.status != 200) {
        return decode_error(r);
    }
    auto j = parse_object(r.body);
    if (!j) {
        return malformed("users/status did not return a JSON object");
    }
    auto st = j->find("status");
    if (st == j->end() || !st->is_object()) {
        return malformed("users/status has no status object");
    }
    UserStatus out;
    auto boolean = [&](const char* key) {
        auto it = st->find(key);
        return it != st->end() && it->is_boolean() && it->get<bool>();
    };
    out.registered = boolean("registered");
    out.confirmed = boolean("confirmed");
    out.account_disabled = boolean("account_disabled");
    if (auto it = st->find("country_code"); it != st->end() && it->is_number_integer()) {
        out.country_code = it->get<int>();
    }
    if (auto it = st->find("authy_id"); it != st->end() && it->is_number_integer()) {
        out.authy_id = it->get<std::int64_t>();
    }
    if (auto it = st->find("phone_number"); it != st->end() && it->is_string()) {
        out.phone_number = strip_control(it->get<std::string>());
    }
    if (auto it = st->find("devices"); it != st->end() && it->is_array()) {
        for (const auto& d : *it) {
            if (d.is_string()) {
                out.devices.push_back(strip_control(d.get<std::string>()));
            }
        }
    }
    return out;
}

Result<CodeSent> decode_code_sent(const HttpResponse& r) {
    if (r.status != 200) {
        return decode_error(r);
    }
    auto j = parse_object(r.body);
    if (!j) {
        return malformed("sms/call did not return a JSON object");
    }
    auto ok = j->find("success");
    if (ok == j->end() || !((ok->is_boolean() && ok->get<bool>()) ||
                            (ok->is_string() && ok->get<std::string>() == "true"))) {
        return malformed("sms/call did not report success");
    }
    CodeSent out;
    out.ignored = j->contains("ignored");
    if (auto it = j->find("cellphone"); it != j->end() && it->is_string()) {
        out.cellphone = strip_control(it->get<std::string>());
    }
    return out;
}

Result<TokenVerdict> decode_verify(const HttpResponse& r) {
    if (r.status == 401) {
        std::string code = error_code_of(r.body);
        if (code == k_token_invalid) {
            return TokenVerdict::invalid;
        }
        if (code == k_token_reused) {
            return TokenVerdict::reused;
        }
        return decode_error(r);
    }
    if (r.status != 200) {
        return decode_error(r);
    }
    auto j = parse_object(r.body);
    bool valid = false;
    if (j) {
        auto token = j->find("token");
        valid = token != j->end() && token->is_string() && token->get<std::string>() == "is valid";
    }
    if (!valid) {
        return malformed("verify answered 200 without \"token\":\"is valid\"");
    }
    return TokenVerdict::valid;
}

Status decode_ok(const HttpResponse& r) {
    if (r.status != 200) {
        return decode_error(r);
    }
    if (!parse_object(r.body)) {
        return malformed("the body is not a JSON object");
    }
    return {};
}

std::string error_body(const std::string& message, const std::string& code,
                       const std::map<std::string, std::string>& extra) {
    json errors = {{"message", message}};
    json j = json::object();
    for (const auto& [k, v] : extra) {
        errors[k] = v;
        j[k] = v;
    }
    j["message"] = message;
    j["success"] = false;
    j["errors"] = errors;
    j["error_code"] = code;
    return j.dump();
}

std::string user_created_body(std::int64_t id) {
    return json{
        {"message", "User created successfully."}, {"user", {{"id", id}}}, {"success", true}}
        .dump();
}

std::string user_status_body(const UserStatus& s, const std::string& email) {
    json detailed = json::array();
    if (s.registered) {
        detailed.push_back({{"device_type", "authy"},
                            {"os_type", "android"},
                            {"registration_device_id", nullptr},
                            {"registration_method", nullptr},
                            {"device_id", s.authy_id + 1},
                            {"last_sync_date", 0},
                            {"creation_date", 0}});
    }
    json status = {{"authy_id", s.authy_id},
                   {"confirmed", s.confirmed},
                   {"registered", s.registered},
                   {"country_code", s.country_code},
                   {"phone_number", s.phone_number},
                   {"email", email},
                   {"devices", s.devices},
                   {"has_hard_token", false},
                   {"account_disabled", s.account_disabled},
                   {"detailed_devices", detailed},
                   {"deleted_devices", json::array()}};
    return json{{"status", status}, {"message", "User status."}, {"success", true}}.dump();
}

std::string user_deleted_body() {
    return json{{"message", "User was added to remove."}, {"success", true}}.dump();
}

std::string code_sent_body(bool voice, const std::string& masked_cellphone) {
    return json{{"success", true},
                {"message", voice ? "Call started..." : "SMS token was sent"},
                {"cellphone", masked_cellphone}}
        .dump();
}

std::string code_ignored_body(bool voice, const std::string& masked_cellphone) {
    return json{{"success", true},
                {"ignored", true},
                {"device", "android"},
                {"cellphone", masked_cellphone},
                {"message", voice ? "Call ignored. User is using  App Tokens and this call is not "
                                    "necessary. Pass force=true if you still want to call users "
                                    "that are using the App."
                                  : "Ignored: SMS is not needed for smartphones. Pass force=true "
                                    "if you want to actually send it anyway."}}
        .dump();
}

std::string token_valid_body() {
    json device = {{"id", nullptr},
                   {"os_type", "sms"},
                   {"registration_date", 1500648405},
                   {"registration_method", nullptr},
                   {"registration_country", nullptr},
                   {"registration_region", nullptr},
                   {"registration_city", nullptr},
                   {"country", nullptr},
                   {"region", nullptr},
                   {"city", nullptr},
                   {"ip", nullptr},
                   {"last_account_recovery_at", nullptr},
                   {"last_sync_date", nullptr}};
    // "success" is the string "true" here, as the real API sends it.
    return json{{"message", "Token is valid."},
                {"token", "is valid"},
                {"success", "true"},
                {"device", device}}
        .dump();
}

std::string token_invalid_body(bool reused) {
    if (reused) {
        return error_body("Token is invalid. Token was used recently.", k_token_reused,
                          {{"token", "is invalid"}});
    }
    return error_body("Token is invalid", k_token_invalid, {{"token", "is invalid"}});
}

Result<std::map<std::string, std::string>> flatten_json_params(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(Exit::usage, "request body is not a JSON object");
    }
    std::map<std::string, std::string> out;
    flatten(j, "", out);
    return out;
}

} // namespace twofa::authy
