#pragma once
// The Authy API's wire shapes (authy-protocol.md §1), in one place for the client and the
// sandbox. nlohmann/json is used only behind these functions.
#include <twofa/http.hpp>
#include <twofa/result.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace twofa::authy {

struct NewUser {
    std::string email;
    std::string cellphone; // digits
    int country_code = 1;
    bool send_install_link = false;
};

struct UserStatus {
    std::int64_t authy_id = 0;
    bool registered = false; // the Authy app is installed (decides OneTouch vs SMS)
    bool confirmed = false;
    bool account_disabled = false;
    int country_code = 1;
    std::string phone_number; // as Authy masks it, e.g. XXX-XXX-1118
    std::vector<std::string> devices;
};

// The answer to sms/{id} or call/{id}.
struct CodeSent {
    bool ignored = false;  // Authy did not send: the user has the app and force was absent
    std::string cellphone; // as Authy masks it
};

// The verdict on a code: only HTTP 200 with "token":"is valid" is valid.
enum class TokenVerdict { valid, invalid, reused };

// A OneTouch approval request as twofa sends it.
struct ApprovalRequest {
    std::string message;
    std::vector<std::pair<std::string, std::string>> details;        // shown to the user
    std::vector<std::pair<std::string, std::string>> hidden_details; // kept with the request
    int seconds_to_expire = 120; // always sent: the sources disagree on the default
};

// A OneTouch result as the listener reads it from a callback.
struct Callback {
    std::int64_t authy_id = 0;
    std::string uuid;
    std::string status; // "approved" or "denied"
};

// What the sandbox needs to build a callback like Authy's (authy-protocol.md §2.1).
struct CallbackFacts {
    std::int64_t authy_id = 0;
    std::string uuid;
    std::string status;
    std::string message;
    std::vector<std::pair<std::string, std::string>> details;
    std::vector<std::pair<std::string, std::string>> hidden_details;
    std::int64_t created_at = 0;
    std::int64_t answered_at = 0;
    std::int64_t expires_at = 0;
    std::vector<std::pair<std::string, std::string>> logos; // (res, url) as the request had them
};

// Error codes the project relies on (strings on the wire).
inline constexpr const char* k_invalid_api_key = "60001";
inline constexpr const char* k_user_not_found = "60026";
inline constexpr const char* k_user_invalid = "60027";
inline constexpr const char* k_invalid_phone = "60033";
inline constexpr const char* k_token_reused = "60019";
inline constexpr const char* k_token_invalid = "60020";

// --- client side --------------------------------------------------------------------------

// JSON body of POST /protected/json/users/new (the Python client's encoding).
std::string encode_new_user(const NewUser& user);

// users/new: the new user's id. Errors: see decode_error.
Result<std::int64_t> decode_new_user(const HttpResponse& response);

// users/{id}/status.
Result<UserStatus> decode_user_status(const HttpResponse& response);

// sms/{id}, call/{id}: 200 with success true (ignored when "ignored" is present).
Result<CodeSent> decode_code_sent(const HttpResponse& response);

// verify/{token}/{id}: valid only for HTTP 200 whose JSON "token" is "is valid" (success may be
// true or the string "true"); invalid / reused for 401 with 60020 / 60019. Anything else is an
// Error (a 200 without the expected body is Exit::unavailable: fail closed).
Result<TokenVerdict> decode_verify(const HttpResponse& response);

// JSON body of POST /onetouch/json/users/{id}/approval_requests; strings are cut to 200
// characters (details keys to 20), as the official client does.
std::string encode_approval_request(const ApprovalRequest& request);

// The new request's uuid (checked: 1-64 characters of [0-9A-Za-z-]).
Result<std::string> decode_approval_created(const HttpResponse& response);

// approval_requests/{uuid}: "pending", "approved", "denied" or "expired".
Result<std::string> decode_approval_status(const HttpResponse& response);

// A callback's fields from its decoded parameters (a GET query, or the canonical form of a
// POST body, where top-level keys are plain). Exit::usage when a field is missing or
// malformed, or the action is not approval_request_status.
Result<Callback>
decode_callback_params(const std::vector<std::pair<std::string, std::string>>& params);

// Any call whose success is HTTP 200 and a JSON object (delete).
Status decode_ok(const HttpResponse& response);

// A non-200 or malformed reply as an Error: transport failure, timeout, 5xx and malformed
// bodies are Exit::unavailable; 4xx is Exit::rejected with Authy's message and code.
Error decode_error(const HttpResponse& response);

// The error_code of a reply ("" when absent); accepts a JSON string or number.
std::string error_code_of(const std::string& body);

// Flattens a JSON object into PHP-style keys ("user[email]") with string values, so a
// request can be read the same way whatever its encoding. Fails on invalid JSON.
Result<std::map<std::string, std::string>> flatten_json_params(const std::string& body);

} // namespace twofa::authy
