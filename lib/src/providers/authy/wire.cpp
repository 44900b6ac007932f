#include <twofa/authy/signature.hpp>
#include <twofa/authy/wire.hpp>
#include <twofa/time_text.hpp>
#include <twofa/validate.hpp>

#include "providers/authy/wire_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace twofa::authy {

using detail::cut;
using detail::iso8601;
using detail::malformed;
using detail::pairs_object;
using detail::parse_object;
using detail::text_of;
using nlohmann::json;

namespace {

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

} // namespace

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

Result<std::map<std::string, std::string>> flatten_json_params(const std::string& body) {
    return flatten_json_callback(body, false).transform([](Params&& pairs) {
        std::map<std::string, std::string> out;
        for (auto& [k, v] : pairs) {
            out[std::move(k)] = std::move(v);
        }
        return out;
    });
}

namespace detail {

Error malformed(const std::string& what) {
    return make_error(Exit::unavailable, "malformed reply from Authy: " + what,
                      "the provider or a proxy in between is misbehaving; try again later");
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

std::optional<json> parse_object(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

std::string cut(const std::string& s, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t count = 0; i < s.size() && count < n; ++count) {
        auto c = static_cast<unsigned char>(s[i]);
        i += c < 0x80 ? 1U : (c >> 5) == 0x6 ? 2U : (c >> 4) == 0xE ? 3U : 4U;
    }
    return s.substr(0, std::min(i, s.size()));
}

nlohmann::json pairs_object(const std::vector<std::pair<std::string, std::string>>& pairs,
                            std::size_t key_limit) {
    json o = json::object();
    for (const auto& [k, v] : pairs) {
        o[cut(k, key_limit)] = cut(v, 200);
    }
    return o;
}

std::string iso8601(std::int64_t t) {
    return utc_text(t, "%Y-%m-%dT%H:%M:%S.000Z");
}

} // namespace detail

} // namespace twofa::authy
