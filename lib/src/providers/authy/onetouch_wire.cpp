// Authy's OneTouch on the wire: approval requests, their status, and callback fields.
#include <twofa/authy/wire.hpp>
#include <twofa/validate.hpp>

#include "providers/authy/wire_text.hpp"

#include <algorithm>
#include <charconv>

namespace twofa::authy {

using detail::cut;
using detail::malformed;
using detail::pairs_object;
using detail::parse_object;
using detail::text_of;
using nlohmann::json;

namespace {

bool valid_uuid(const std::string& u) {
    return !u.empty() && u.size() <= 64 && std::all_of(u.begin(), u.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-';
    });
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

} // namespace twofa::authy
