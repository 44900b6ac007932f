// twofa-sandbox: the control API (/sandbox/...) that tests and demos drive.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/otp.hpp>
#include <twofa/util.hpp>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

void Sandbox::Impl::messages(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    std::string filter = req.get_param_value("authy_id");
    std::string to = req.get_param_value("to");
    json arr = json::array();
    for (const auto& c : codes) {
        if ((filter.empty() || filter == std::to_string(c.authy_id)) &&
            (to.empty() || to == c.to)) {
            json m = {{"authy_id", c.authy_id}, {"via", c.via}, {"code", c.code}, {"at", c.at}};
            if (!c.to.empty()) {
                m["to"] = c.to; // a Verify or phone-verification code (authy_id 0)
            }
            if (!c.text.empty()) {
                m["text"] = c.text; // a message without a code (the install link)
            }
            arr.push_back(m);
        }
    }
    send_json(res, 200, arr.dump());
}

void Sandbox::Impl::app_token(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[1]);
    if (!u) {
        return not_found(res);
    }
    const std::int64_t now = unix_now();
    send_json(res, 200,
              json{{"authy_id", u->id},
                   {"token", totp(u->totp_key, now, k_code_digits, k_totp_step)},
                   {"seconds_left", k_totp_step - now % k_totp_step}}
                  .dump());
}

void Sandbox::Impl::approval_answer(const httplib::Request& req, httplib::Response& res) {
    std::string status = req.matches[2] == "approve" ? "approved" : "denied";
    auto refused = desk.answer(req.matches[1], status);
    if (refused) {
        send_json(res, *refused == "unknown" ? 404 : 409,
                  json{{"error", "the request is not pending"}, {"status", *refused}}.dump());
        return;
    }
    send_json(res, 200, json{{"uuid", req.matches[1]}, {"status", status}}.dump());
}

void Sandbox::Impl::add_faults(const httplib::Request& req, httplib::Response& res) {
    auto j = json::parse(req.body, nullptr, false);
    static const std::set<std::string> k_kinds{"429", "500", "503", "hang", "malformed"};
    if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j["kind"].is_string() ||
        k_kinds.count(j["kind"].get<std::string>()) == 0U) {
        send_json(
            res, 400,
            R"({"error":"body must be {\"kind\":\"429|500|503|hang|malformed\", \"count\":N, \"retry_after\":S, \"hang_ms\":MS}"})");
        return;
    }
    Fault f{j["kind"].get<std::string>(), j.value("retry_after", 1), j.value("hang_ms", 15000)};
    int count = std::clamp(j.value("count", 1), 1, 1000);
    std::lock_guard lock(mutex);
    for (int i = 0; i < count; ++i) {
        faults.push_back(f);
    }
    send_json(res, 200, json{{"pending", faults.size()}}.dump());
}

void Sandbox::Impl::control_routes() {
    server.Get("/sandbox/messages",
               [this](const httplib::Request& q, httplib::Response& r) { messages(q, r); });
    server.Get(R"(/sandbox/users/(\d+)/token)",
               [this](const httplib::Request& q, httplib::Response& r) { app_token(q, r); });
    server.Post(R"(/sandbox/approval_requests/([^/]+)/(approve|deny))",
                [this](const httplib::Request& q, httplib::Response& r) { approval_answer(q, r); });
    server.Post(R"(/sandbox/challenges/(YC[0-9a-fA-F]{32})/(approve|deny))",
                [this](const httplib::Request& q, httplib::Response& r) { approval_answer(q, r); });
    server.Post(R"(/sandbox/entities/([^/]+)/push_device)",
                [this](const httplib::Request& q, httplib::Response& r) { push_device(q, r); });
    server.Get("/sandbox/callbacks", [this](const httplib::Request&, httplib::Response& r) {
        send_json(r, 200, desk.callbacks().dump());
    });
    server.Post("/sandbox/faults",
                [this](const httplib::Request& q, httplib::Response& r) { add_faults(q, r); });
    server.Delete("/sandbox/faults", [this](const httplib::Request&, httplib::Response& r) {
        std::lock_guard lock(mutex);
        faults.clear();
        send_json(r, 200, R"({"pending":0})");
    });
    server.Get("/sandbox/requests", [this](const httplib::Request&, httplib::Response& r) {
        std::lock_guard lock(mutex);
        send_json(r, 200, json(requests).dump());
    });
    server.Delete("/sandbox/requests", [this](const httplib::Request&, httplib::Response& r) {
        std::lock_guard lock(mutex);
        requests.clear();
        send_json(r, 200, "[]");
    });
    server.Get("/sandbox/users", [this](const httplib::Request&, httplib::Response& r) {
        std::lock_guard lock(mutex);
        json arr = json::array();
        for (const auto& [id, u] : users) {
            arr.push_back({{"authy_id", id},
                           {"email", u.email},
                           {"cellphone", u.cellphone},
                           {"country_code", u.country_code},
                           {"app", has_app(u)}});
        }
        send_json(r, 200, arr.dump());
    });
}

} // namespace twofa
