// twofa-sandbox's push desk as data: every request with its facts, phone and (for Verify
// challenges) its webhooks for the --state file, and the pending ones for the phone page.
#include "sandbox/sandbox_onetouch.hpp"

#include <twofa/util.hpp>

#include <algorithm>

namespace twofa::detail {

using nlohmann::json;

namespace {

json pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
    json arr = json::array();
    for (const auto& [k, v] : pairs) {
        arr.push_back({k, v});
    }
    return arr;
}

std::vector<std::pair<std::string, std::string>> pairs_from(const json& arr) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : arr) {
        out.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
    }
    return out;
}

} // namespace

json ApprovalDesk::pending() const {
    std::lock_guard lock(m_mutex);
    const std::int64_t now = unix_now();
    std::vector<const Request*> waiting;
    for (const auto& [uuid, r] : m_requests) {
        if (r.facts.status == "pending" && (r.facts.expires_at == 0 || now < r.facts.expires_at)) {
            waiting.push_back(&r);
        }
    }
    std::sort(waiting.begin(), waiting.end(), [](const Request* a, const Request* b) {
        return a->facts.created_at < b->facts.created_at;
    });
    json arr = json::array();
    for (const Request* r : waiting) {
        arr.push_back({{"uuid", r->facts.uuid},
                       {"kind", r->verify ? "verify" : "authy"},
                       {"authy_id", r->facts.authy_id},
                       {"email", r->verify ? r->verify->identity : r->email},
                       {"message", r->facts.message},
                       {"details", pairs_json(r->facts.details)},
                       {"expires_at", r->facts.expires_at}});
    }
    return arr;
}

json ApprovalDesk::to_json() const {
    std::lock_guard lock(m_mutex);
    json arr = json::array();
    for (const auto& [uuid, r] : m_requests) {
        const auto& f = r.facts;
        arr.push_back({{"uuid", uuid},
                       {"authy_id", f.authy_id},
                       {"email", r.email},
                       {"status", f.status},
                       {"message", f.message},
                       {"details", pairs_json(f.details)},
                       {"hidden_details", pairs_json(f.hidden_details)},
                       {"logos", pairs_json(f.logos)},
                       {"created_at", f.created_at},
                       {"answered_at", f.answered_at},
                       {"expires_at", f.expires_at},
                       {"phone", static_cast<int>(r.phone)},
                       {"answer_at_ms", r.answer_at_ms}});
        if (r.verify) {
            const auto& v = *r.verify;
            arr.back()["verify"] = {{"account_sid", v.account_sid}, {"service_sid", v.service_sid},
                                    {"identity", v.identity},       {"factor_sid", v.factor_sid},
                                    {"factor_name", v.factor_name}, {"hooks", v.hooks}};
        }
    }
    return arr;
}

void ApprovalDesk::from_json(const json& arr) {
    std::lock_guard lock(m_mutex);
    for (const auto& a : arr) {
        Request r;
        r.facts.uuid = a.at("uuid").get<std::string>();
        r.facts.authy_id = a.at("authy_id").get<std::int64_t>();
        r.facts.status = a.at("status").get<std::string>();
        r.facts.message = a.value("message", "");
        r.facts.details = pairs_from(a.value("details", json::array()));
        r.facts.hidden_details = pairs_from(a.value("hidden_details", json::array()));
        r.facts.logos = pairs_from(a.value("logos", json::array()));
        r.facts.created_at = a.value("created_at", std::int64_t{0});
        r.facts.answered_at = a.value("answered_at", std::int64_t{0});
        r.facts.expires_at = a.value("expires_at", std::int64_t{0});
        r.email = a.value("email", "");
        r.phone = static_cast<PhoneScenario>(a.value("phone", 0));
        r.answer_at_ms = a.value("answer_at_ms", std::int64_t{0});
        if (auto v = a.find("verify"); v != a.end() && v->is_object()) {
            r.verify = VerifyPushFacts{v->value("account_sid", ""), v->value("service_sid", ""),
                                       v->value("identity", ""),    v->value("factor_sid", ""),
                                       v->value("factor_name", ""), {}};
            v->at("hooks").get_to(r.verify->hooks);
        }
        m_requests[r.facts.uuid] = std::move(r);
    }
}

} // namespace twofa::detail
