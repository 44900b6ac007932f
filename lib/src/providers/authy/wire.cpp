#include <twofa/authy/signature.hpp>
#include <twofa/authy/wire.hpp>
#include <twofa/time_text.hpp>
#include <twofa/validate.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

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

// parse_object, refusing an object that names a key twice at any level (which would let a
// proxy or a parser disagree about what the answer said).
std::optional<json> parse_object_strict(const std::string& body) {
    std::vector<std::vector<std::string>> seen; // keys of each open object or array
    bool duplicate = false;
    auto check = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
        case json::parse_event_t::object_start:
        case json::parse_event_t::array_start:
            seen.emplace_back();
            break;
        case json::parse_event_t::object_end:
        case json::parse_event_t::array_end:
            if (!seen.empty()) {
                seen.pop_back();
            }
            break;
        case json::parse_event_t::key:
            if (!seen.empty()) {
                auto key = parsed.get<std::string>();
                auto& keys = seen.back();
                duplicate = duplicate || std::find(keys.begin(), keys.end(), key) != keys.end();
                keys.push_back(std::move(key));
            }
            break;
        default:
            break;
        }
        return true;
    };
    auto j = json::parse(body, check, false);
    if (duplicate || j.is_discarded() || !j.is_object()) {
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

// The first n code points of UTF-8 text (the official client cuts at 200 characters).
std::string cut(const std::string& s, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t count = 0; i < s.size() && count < n; ++count) {
        auto c = static_cast<unsigned char>(s[i]);
        i += c < 0x80 ? 1U : (c >> 5) == 0x6 ? 2U : (c >> 4) == 0xE ? 3U : 4U;
    }
    return s.substr(0, std::min(i, s.size()));
}

json pairs_object(const std::vector<std::pair<std::string, std::string>>& pairs,
                  std::size_t key_limit) {
    json o = json::object();
    for (const auto& [k, v] : pairs) {
        o[cut(k, key_limit)] = cut(v, 200);
    }
    return o;
}

bool valid_uuid(const std::string& u) {
    return !u.empty() && u.size() <= 64 && std::all_of(u.begin(), u.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-';
    });
}

std::string iso8601(std::int64_t t) {
    return utc_text(t, "%Y-%m-%dT%H:%M:%S.000Z");
}

Result<Callback> check_callback(const std::string& action, const std::string& authy_id,
                                Callback c) {
    if (action != "approval_request_status") {
        return make_error(Exit::usage, "callback_action is not approval_request_status");
    }
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(authy_id.data(), authy_id.data() + authy_id.size(), id);
    if (authy_id.empty() || ec != std::errc() || p != authy_id.data() + authy_id.size() ||
        id <= 0) {
        return make_error(Exit::usage, "authy_id is missing or not a number");
    }
    c.authy_id = id;
    if (!valid_uuid(c.uuid)) {
        return make_error(Exit::usage, "uuid is missing or malformed");
    }
    if (c.status != "approved" && c.status != "denied") {
        return make_error(Exit::usage, "status is neither approved nor denied");
    }
    return c;
}

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) {
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

// The "approval_request" object of a 200 answer; any other answer as an Error.
Result<json> approval_object(const HttpResponse& r) {
    if (r.status != 200) {
        return decode_error(r);
    }
    auto j = parse_object(r.body);
    if (!j || !j->contains("approval_request") || !(*j)["approval_request"].is_object()) {
        return malformed("the answer has no approval_request object");
    }
    return (*j)["approval_request"];
}

} // namespace

std::string encode_approval_request(const ApprovalRequest& r) {
    json j = {{"message", cut(r.message, 200)},
              {"details", pairs_object(r.details, 20)},
              {"hidden_details", pairs_object(r.hidden_details, 200)},
              {"seconds_to_expire", r.seconds_to_expire}};
    return j.dump();
}

Result<std::string> decode_approval_created(const HttpResponse& r) {
    auto request = approval_object(r);
    if (!request.ok()) {
        return request.error();
    }
    std::string uuid = text_of(*request, "uuid");
    if (!valid_uuid(uuid)) {
        return malformed("approval_requests has no usable uuid");
    }
    return uuid;
}

Result<std::string> decode_approval_status(const HttpResponse& r) {
    auto request = approval_object(r);
    if (!request.ok()) {
        return request.error();
    }
    std::string status = text_of(*request, "status");
    if (status != "pending" && status != "approved" && status != "denied" && status != "expired") {
        return malformed("approval request status '" + strip_control(status) + "'");
    }
    return status;
}

Result<Callback>
decode_callback_params(const std::vector<std::pair<std::string, std::string>>& params) {
    bool twice = false;
    auto get = [&](const char* key) {
        const std::string* found = nullptr;
        for (const auto& [k, v] : params) {
            if (k == key) {
                twice = twice || found != nullptr;
                found = &v;
            }
        }
        return found != nullptr ? *found : std::string();
    };
    Callback c{0, get("uuid"), get("status")};
    std::string action = get("callback_action");
    std::string id = get("authy_id");
    if (twice) {
        return make_error(Exit::usage, "a callback field appears twice");
    }
    return check_callback(action, id, std::move(c));
}

std::string encode_new_user(const NewUser& u) {
    json j = {{"user",
               {{"email", u.email}, {"cellphone", u.cellphone}, {"country_code", u.country_code}}},
              {"send_install_link_via_sms", u.send_install_link}};
    return j.dump();
}

std::string error_code_of(const std::string& body) {
    auto j = parse_object(body);
    return j ? text_of(*j, "error_code") : "";
}

Error decode_error(const HttpResponse& r) {
    Error e;
    if (r.status == 0) {
        e = r.timed_out ? make_error(Exit::unavailable, "Authy did not answer in time",
                                     "check the network, or raise authy.timeout_ms")
                        : make_error(Exit::unavailable, "cannot reach Authy: " + r.error,
                                     "check the network and authy.url");
        e.unreachable = true;
        return e;
    }
    if (r.status >= 500) {
        e = make_error(Exit::unavailable, "Authy answered HTTP " + std::to_string(r.status),
                       "the provider is having trouble; try again later");
        e.unreachable = true;
        return e;
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
    // Both the token text and success (Authy sends the string "true" here, a boolean
    // elsewhere); anything else, or a key given twice, is not an approval.
    auto j = parse_object_strict(r.body);
    bool valid = false;
    if (j) {
        auto token = j->find("token");
        auto success = j->find("success");
        valid = token != j->end() && token->is_string() &&
                token->get<std::string>() == "is valid" && success != j->end() &&
                ((success->is_boolean() && success->get<bool>()) ||
                 (success->is_string() && success->get<std::string>() == "true"));
    }
    if (!valid) {
        return malformed("verify answered 200 without \"token\":\"is valid\" and success");
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

std::string approval_created_body(const std::string& uuid) {
    return json{{"approval_request", {{"uuid", uuid}}}, {"success", true}}.dump();
}

std::string approval_status_body(const CallbackFacts& f, const std::string& email) {
    json ar = {{"_app_name", "twofa-sandbox"},
               {"_app_serial_id", 1},
               {"_authy_id", std::to_string(f.authy_id)},
               {"_id", f.uuid.substr(0, 24)},
               {"_user_email", email},
               {"app_id", "5a7e0c0de0c0ffee00000001"},
               {"created_at", iso8601(f.created_at)},
               {"notified", false},
               {"processed_at", f.answered_at > 0 ? json(iso8601(f.answered_at)) : json(nullptr)},
               {"status", f.status},
               {"updated_at", iso8601(f.answered_at > 0 ? f.answered_at : f.created_at)},
               {"user_id", "5a7e0c0de0c0ffee" + std::to_string(f.authy_id)},
               {"uuid", f.uuid}};
    return json{{"approval_request", ar}, {"success", true}}.dump();
}

std::string approval_not_found_body(const std::string& uuid) {
    return json{{"message", "Approval request not found: " + uuid}, {"success", false}}.dump();
}

std::string callback_body(const CallbackFacts& f) {
    json details = f.details.empty() ? json(nullptr) : pairs_object(f.details, 20);
    json hidden = f.hidden_details.empty() ? json(nullptr) : pairs_object(f.hidden_details, 200);
    json transaction = {{"details", details},
                        {"device_details", json::object()},
                        {"device_geolocation", ""},
                        {"device_signing_time", f.answered_at},
                        {"encrypted", false},
                        {"flagged", false},
                        {"hidden_details", hidden},
                        {"message", f.message},
                        {"reason", ""},
                        {"requester_details", nullptr},
                        {"status", f.status},
                        {"uuid", f.uuid},
                        {"created_at_time", f.created_at},
                        {"customer_uuid", 15083}};
    json device = {{"city", nullptr},
                   {"country", "Sandbox"},
                   {"ip", "127.0.0.1"},
                   {"region", nullptr},
                   {"registration_city", nullptr},
                   {"registration_country", "Sandbox"},
                   {"registration_ip", "127.0.0.1"},
                   {"registration_method", "sms"},
                   {"registration_region", nullptr},
                   {"os_type", "android"},
                   {"last_account_recovery_at", nullptr},
                   {"id", f.authy_id + 1},
                   {"registration_date", f.created_at},
                   {"last_sync_date", f.answered_at}};
    json body = {{"authy_id", f.authy_id},
                 {"device_uuid", f.authy_id + 1},
                 {"callback_action", "approval_request_status"},
                 {"uuid", f.uuid},
                 {"status", f.status},
                 {"approval_request",
                  {{"transaction", transaction},
                   {"expiration_timestamp", f.expires_at},
                   {"logos", nullptr},
                   {"app_id", "5a7e0c0de0c0ffee00000001"}}},
                 // Stands in for the device's own signature of the transaction (not the HMAC).
                 {"signature", "c2FuZGJveC1kZXZpY2Utc2lnbmF0dXJlLw+/" + f.uuid + "=="},
                 {"device", device}};
    return body.dump();
}

Result<std::map<std::string, std::string>> flatten_json_params(const std::string& body) {
    return flatten_json_callback(body, false).transform([](Params&& pairs) {
        std::map<std::string, std::string> out;
        for (auto& [k, v] : pairs) {
            out[std::move(k)] = std::move(v);
        }
        return out;
    });
}

} // namespace twofa::authy
