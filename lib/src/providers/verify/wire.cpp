// Verify v2's form encoding, SIDs, error body and the answers twofa reads (verify-v2.md §3, §5).
#include <twofa/time_text.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/wire.hpp>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace twofa::verify {

using nlohmann::json;

namespace {

std::optional<json> parse_object(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error malformed(const std::string& what) {
    return make_error(Exit::unavailable, "Verify sent an unexpected answer: " + what,
                      "check verify.url points at Twilio Verify");
}

bool success(const HttpResponse& r) {
    return r.status >= 200 && r.status < 300;
}

Result<Factor> factor_of(const json& j) {
    Factor f{text_of(j, "sid"), text_of(j, "factor_type"), text_of(j, "status"), {}, {}};
    if (!is_sid(f.sid, "YF") || f.type.empty() || f.status.empty()) {
        return malformed("a factor without sid, factor_type or status");
    }
    if (auto b = j.find("binding"); b != j.end() && b->is_object()) {
        f.secret = text_of(*b, "secret");
        f.uri = text_of(*b, "uri");
    }
    return f;
}

std::string hint_for(int code) {
    switch (code) {
    case k_authenticate:
        return "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or the API key) and "
               "verify.service_sid";
    case k_not_found:
        return "the code expired, was already used or was checked too often; start a new "
               "login";
    case k_max_check_attempts:
        return "too many wrong codes for this verification; start a new login in 10 minutes";
    case k_max_send_attempts:
        return "Verify sends at most 5 codes per verification; wait 10 minutes and log in "
               "again";
    case k_factor_attempts:
        return "too many wrong codes for this factor; reset it with twofa user totp reset";
    case k_too_many_requests:
        return "Verify's rate limit; wait a minute and try again";
    case k_invalid_parameter:
        return "check the phone number (E.164) or the code";
    case k_landline:
        return "this number cannot take SMS; use --via call";
    default:
        return "see https://www.twilio.com/docs/errors/" + std::to_string(code);
    }
}

Exit exit_for(int code, long status) {
    switch (code) {
    case k_not_found:
        return Exit::expired;
    case k_max_check_attempts:
    case k_max_send_attempts:
    case k_factor_attempts:
    case k_too_many_requests:
        return Exit::locked;
    case k_invalid_parameter:
        return Exit::usage;
    default:
        return status == 429 ? Exit::locked : Exit::rejected;
    }
}

} // namespace

bool is_sid(std::string_view text, std::string_view prefix) noexcept {
    if (text.size() != 34 || text.substr(0, 2) != prefix) {
        return false;
    }
    return std::all_of(text.begin() + 2, text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string new_sid(std::string_view prefix) {
    std::array<unsigned char, 16> raw{};
    randombytes_buf(raw.data(), raw.size());
    return std::string(prefix) +
           to_hex(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

bool is_identity(std::string_view text) noexcept {
    if (text.size() < 8 || text.size() > 64) {
        return false;
    }
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (!std::isalnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

std::string iso_date(std::int64_t unix_seconds) {
    return utc_text(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

std::string error_body(int code, const std::string& message, int http_status) {
    return json{{"code", code},
                {"message", message},
                {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                {"status", http_status}}
        .dump();
}

int error_code_of(const std::string& body) {
    auto j = parse_object(body);
    if (!j) {
        return 0;
    }
    auto it = j->find("code");
    return it != j->end() && it->is_number_integer() ? it->get<int>() : 0;
}

Error decode_error(const HttpResponse& r) {
    Error e;
    if (r.status == 0 || r.status >= 500) {
        e = r.status != 0
                ? make_error(Exit::unavailable, "Verify answered HTTP " + std::to_string(r.status),
                             "the provider is having trouble; try again later")
            : r.timed_out ? make_error(Exit::unavailable, "Verify did not answer in time",
                                       "check the network, or raise authy.timeout_ms")
                          : make_error(Exit::unavailable, "cannot reach Verify: " + r.error,
                                       "check the network and verify.url");
        e.unreachable = true;
        return e;
    }
    if (r.status < 400) {
        return malformed("HTTP " + std::to_string(r.status) + " without the expected JSON");
    }
    auto j = parse_object(r.body);
    int code = error_code_of(r.body);
    std::string message = j ? strip_control(text_of(*j, "message")) : std::string();
    if (message.empty()) {
        message = "HTTP " + std::to_string(r.status);
    }
    if (code != 0) {
        message += " [" + std::to_string(code) + "]";
    }
    return make_error(exit_for(code, r.status), "Verify refused the request: " + message,
                      hint_for(code));
}

Result<VerificationState> decode_verification(const HttpResponse& r) {
    auto j = success(r) ? parse_object(r.body) : std::nullopt;
    if (!j) {
        return decode_error(r);
    }
    VerificationState v{text_of(*j, "sid"), text_of(*j, "status")};
    if (!is_sid(v.sid, "VE") || v.status.empty()) {
        return malformed("a verification without sid or status");
    }
    return v;
}

Result<Factor> decode_factor(const HttpResponse& r) {
    auto j = success(r) ? parse_object(r.body) : std::nullopt;
    if (!j) {
        return decode_error(r);
    }
    return factor_of(*j);
}

Result<std::vector<Factor>> decode_factors(const HttpResponse& r) {
    auto j = r.status == 200 ? parse_object(r.body) : std::nullopt;
    if (!j) {
        return decode_error(r);
    }
    auto list = j->find("factors");
    if (list == j->end() || !list->is_array()) {
        return malformed("a factor list without factors");
    }
    std::vector<Factor> out;
    for (const json& f : *list) {
        if (!f.is_object()) {
            return malformed("a factor that is not an object");
        }
        TRY_ASSIGN(Factor factor, factor_of(f));
        out.push_back(std::move(factor));
    }
    return out;
}

Result<ChallengeState> decode_challenge(const HttpResponse& r) {
    auto j = success(r) ? parse_object(r.body) : std::nullopt;
    if (!j) {
        return decode_error(r);
    }
    ChallengeState c{text_of(*j, "sid"), text_of(*j, "status")};
    if (!is_sid(c.sid, "YC") || c.status.empty()) {
        return malformed("a challenge without sid or status");
    }
    return c;
}

Status decode_ok(const HttpResponse& r) {
    if (r.status == 204 || (success(r) && parse_object(r.body))) {
        return {};
    }
    return decode_error(r);
}

Result<Webhook> decode_webhook(const Form& params) {
    Webhook w;
    for (const auto& [name, value] : params) {
        std::string* field = name == "type"              ? &w.type
                             : name == "service_sid"     ? &w.service_sid
                             : name == "entity_identity" ? &w.entity_identity
                             : name == "challenge_sid"   ? &w.challenge_sid
                                                         : nullptr;
        if (field != nullptr) {
            if (!field->empty()) {
                return make_error(Exit::usage, "the webhook names " + name + " twice", "");
            }
            *field = value;
        }
    }
    if (w.type.empty()) {
        return make_error(Exit::usage, "the webhook has no type", "");
    }
    if (w.type.rfind("challenge.", 0) == 0 &&
        (!is_sid(w.challenge_sid, "YC") || !is_identity(w.entity_identity))) {
        return make_error(Exit::usage, "a challenge webhook without challenge_sid or identity", "");
    }
    return w;
}

} // namespace twofa::verify
