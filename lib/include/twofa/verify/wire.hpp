#pragma once
// Twilio Verify v2's wire shapes (verify-v2.md), in one place for the adapter and the sandbox:
// form encoding, SIDs, dates, the error body, X-Twilio-Signature and the answers twofa reads.
// nlohmann/json is used only behind these functions.
#include <twofa/http.hpp>
#include <twofa/result.hpp>
#include <twofa/util.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twofa::verify {

// Form parameters in order (arrays are repeated keys); form_encode / form_decode in util.hpp.
using Form = FormPairs;

// A SID: the two-letter prefix and 32 hex digits ("VA…", "YE…").
bool is_sid(std::string_view text, std::string_view prefix) noexcept;
// A new SID with random hex digits (the sandbox's).
std::string new_sid(std::string_view prefix);
// An entity identity as Verify takes it: 8-64 characters, alphanumerics and dashes.
bool is_identity(std::string_view text) noexcept;
// Unix seconds as Verify writes dates: YYYY-MM-DDTHH:MM:SSZ.
std::string iso_date(std::int64_t unix_seconds);

// --- X-Twilio-Signature (verify-v2.md §2) -------------------------------------------------

// base64(HMAC-SHA1(auth_token, url + each name+value, names sorted, each name's distinct
// values sorted)).
std::string twilio_signature(std::string_view auth_token, std::string_view url, const Form& params);
// The URL as signed, and with the port removed / the scheme's default port added: Twilio's
// libraries accept a signature over any of them.
std::vector<std::string> signed_url_variants(const std::string& url);

// --- the REST API ---------------------------------------------------------------------------

// Error codes twofa relies on (integers on the wire).
inline constexpr int k_authenticate = 20003;
inline constexpr int k_not_found = 20404;
inline constexpr int k_too_many_requests = 20429;
inline constexpr int k_invalid_parameter = 60200;
inline constexpr int k_max_check_attempts = 60202;
inline constexpr int k_max_send_attempts = 60203;
inline constexpr int k_landline = 60205;
inline constexpr int k_factor_attempts = 60310;

// Twilio's error body: {"code", "message", "more_info", "status"}.
std::string error_body(int code, const std::string& message, int http_status);
// The code of an error body (0 when absent).
int error_code_of(const std::string& body);

// A non-2xx or malformed answer as an Error, by Verify's code (verify-v2.md §5): unreachable,
// timeouts and 5xx are Exit::unavailable; 20003 Exit::rejected (the credentials' fault);
// 20404 Exit::expired; 60202, 60203, 60310 and 20429 Exit::locked; 60200 Exit::usage; other
// 4xx Exit::rejected with Verify's message and code.
Error decode_error(const HttpResponse& response);

// A Verification or a VerificationCheck: its sid and status.
struct VerificationState {
    std::string sid;
    std::string status; // pending, approved, canceled, max_attempts_reached, expired, ...
};
Result<VerificationState> decode_verification(const HttpResponse& response);

struct Factor {
    std::string sid;
    std::string type;   // push, totp
    std::string status; // unverified, verified
    std::string secret; // totp, on creation only
    std::string uri;    // totp, on creation only: the otpauth:// URI
};
Result<Factor> decode_factor(const HttpResponse& response);
// A page of factors ({"factors": [...], "meta": {...}}).
Result<std::vector<Factor>> decode_factors(const HttpResponse& response);

struct ChallengeState {
    std::string sid;
    std::string status; // pending, expired, approved, denied
};
Result<ChallengeState> decode_challenge(const HttpResponse& response);

// Any 2xx answer whose body is a JSON object (create entity, service fetch), or 204.
Status decode_ok(const HttpResponse& response);

// --- webhooks -------------------------------------------------------------------------------

// What twofa reads from a Verify Push webhook (form parameters, verify-v2.md §1.2).
struct Webhook {
    std::string type; // challenge.approved, challenge.denied, factor.*
    std::string service_sid;
    std::string entity_identity;
    std::string challenge_sid; // challenge events only
};
// Exit::usage when type is missing, or a challenge event lacks a well-formed challenge sid or
// identity.
Result<Webhook> decode_webhook(const Form& params);

} // namespace twofa::verify
