// The bodies twofa-sandbox answers with, shaped like Authy's (authy-protocol.md §1-2).
#include <twofa/authy/bodies.hpp>

#include "providers/authy/wire_text.hpp"

#include <nlohmann/json.hpp>

namespace twofa::authy {

using detail::cut;
using detail::iso8601;
using detail::pairs_object;
using nlohmann::json;

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

std::string token_valid_body(std::int64_t app_device) {
    json device = {{"id", app_device != 0 ? json(app_device) : json(nullptr)},
                   {"os_type", app_device != 0 ? "android" : "sms"},
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

namespace {

// A 24-hex id like Authy's (MongoDB ObjectId) approval request _id, from the request's uuid.
std::string object_id(const std::string& uuid) {
    std::string hex;
    for (char c : uuid) {
        if (c != '-') {
            hex += c;
        }
    }
    return hex.substr(0, 24);
}

json logos_json(const std::vector<std::pair<std::string, std::string>>& logos) {
    json out = json::array();
    for (const auto& [res, url] : logos) {
        out.push_back({{"res", res}, {"url", url}});
    }
    return out;
}

} // namespace

std::string approval_created_body(const std::string& uuid) {
    return json{{"approval_request", {{"uuid", uuid}}}, {"success", true}}.dump();
}

std::string approval_status_body(const CallbackFacts& f, const std::string& email) {
    json ar = {{"_app_name", "twofa-sandbox"},
               {"_app_serial_id", 1},
               {"_authy_id", std::to_string(f.authy_id)},
               {"_id", object_id(f.uuid)},
               {"_user_email", email},
               {"app_id", "5a7e0c0de0c0ffee00000001"},
               {"created_at", iso8601(f.created_at)},
               {"notified", false},
               {"processed_at", f.answered_at > 0 ? json(iso8601(f.answered_at)) : json(nullptr)},
               {"status", f.status},
               {"updated_at", iso8601(f.answered_at > 0 ? f.answered_at : f.created_at)},
               {"user_id", "5a7e0c0de0c0ffee" + std::to_string(f.authy_id)},
               {"uuid", f.uuid}};
    if (!f.logos.empty()) {
        ar["logos"] = logos_json(f.logos);
    }
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
                   {"logos", f.logos.empty() ? json(nullptr) : logos_json(f.logos)},
                   {"app_id", "5a7e0c0de0c0ffee00000001"}}},
                 // Stands in for the device's own signature of the transaction (not the HMAC).
                 {"signature", "c2FuZGJveC1kZXZpY2Utc2lnbmF0dXJlLw+/" + f.uuid + "=="},
                 {"device", device}};
    return body.dump();
}

} // namespace twofa::authy
