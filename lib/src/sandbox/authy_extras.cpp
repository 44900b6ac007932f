// twofa-sandbox: the rest of the Authy calls the official clients make - application
// statistics, activities, a user's authenticator QR code (generic TOTP) - and the QR image
// itself (SVG) for that code.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/otp.hpp>
#include <twofa/qr.hpp>
#include <twofa/time_text.hpp>
#include <twofa/util.hpp>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace {

constexpr std::array<const char*, 12> k_months{"January",   "February", "March",    "April",
                                               "May",       "June",     "July",     "August",
                                               "September", "October",  "November", "December"};

// The QR symbol as SVG, 8 px per module and a quiet zone of 4.
std::string qr_svg(const QrMatrix& m) {
    const std::size_t n = m.size() + 8;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                      std::to_string(n) + " " + std::to_string(n) + "\" width=\"" +
                      std::to_string(n * 8) + "\" height=\"" + std::to_string(n * 8) +
                      "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"";
    for (std::size_t y = 0; y < m.size(); ++y) {
        for (std::size_t x = 0; x < m[y].size(); ++x) {
            if (m[y][x]) {
                svg += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
            }
        }
    }
    return svg + "\"/></svg>";
}

} // namespace

// GET /protected/json/app/stats: this month's counts (the sandbox keeps no history).
void Sandbox::Impl::app_stats(httplib::Response& res) {
    std::lock_guard lock(mutex);
    const std::int64_t now = unix_now();
    int year = std::stoi(utc_text(now, "%Y"));
    int month = std::stoi(utc_text(now, "%m"));
    std::int64_t sms = 0;
    std::int64_t calls = 0;
    for (const auto& c : codes) {
        sms += c.via == "sms" ? 1 : 0;
        calls += c.via == "call" ? 1 : 0;
    }
    json stats = json::array();
    for (int i = 0; i < 12; ++i) {
        bool current = i + 1 == month;
        stats.push_back({{"api_calls_count", current ? requests.size() : 0},
                         {"auths_count", 0},
                         {"calls_count", current ? calls : 0},
                         {"month", k_months.at(static_cast<std::size_t>(i))},
                         {"sms_count", current ? sms : 0},
                         {"users_count", current ? users.size() : 0},
                         {"year", year}});
    }
    send_json(res, 200,
              json{{"app_id", 1},
                   {"count", 12},
                   {"message", "Monthly statistics."},
                   {"stats", stats},
                   {"success", true},
                   {"total_users", users.size()}}
                  .dump());
}

// POST /protected/json/users/{id}/register_activity.
void Sandbox::Impl::register_activity(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (!find_locked(req.matches[1])) {
        return not_found(res);
    }
    send_json(res, 200, R"({"message":"Activity was created.","success":true})");
}

// POST /protected/json/users/{id}/secret: a QR code an authenticator app scans for this user's
// code (the same secret the simulated Authy app uses: 7 digits, 30 s).
void Sandbox::Impl::user_secret(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    auto u = find_locked(req.matches[1]);
    if (!u) {
        return not_found(res);
    }
    std::string label = req.get_param_value("label");
    if (label.empty()) {
        label = u->email;
    }
    send_json(res, 200,
              json{{"label", label},
                   {"qr_code", base_url + "/sandbox/users/" + std::to_string(u->id) + "/qr.svg"},
                   {"success", true}}
                  .dump());
}

// GET /sandbox/users/{id}/qr.svg: the image behind qr_code.
void Sandbox::Impl::user_qr(const httplib::Request& req, httplib::Response& res) {
    std::optional<SandboxUser> u;
    {
        std::lock_guard lock(mutex);
        u = find_locked(req.matches[1]);
    }
    if (!u) {
        return not_found(res);
    }
    auto uri = key_uri(
        KeyUri{"twofa-sandbox", u->email, u->totp_key, OtpHash::sha1, k_code_digits, k_totp_step});
    auto matrix = uri.ok() ? qr_encode(*uri) : Result<QrMatrix>(uri.error());
    if (!matrix.ok()) {
        return send_json(res, 500, authy::error_body("Cannot draw the QR code", "60000"));
    }
    res.status = 200;
    res.set_content(qr_svg(*matrix), "image/svg+xml");
}

void Sandbox::Impl::extra_routes() {
    route_get("/protected/json/app/stats",
              [this](const httplib::Request&, httplib::Response& r) { app_stats(r); });
    server.Post(
        R"(/protected/json/users/([^/]+)/register_activity)",
        [this](const httplib::Request& q, httplib::Response& r) { register_activity(q, r); });
    server.Post(R"(/protected/json/users/([^/]+)/secret)",
                [this](const httplib::Request& q, httplib::Response& r) { user_secret(q, r); });
    server.Get(R"(/sandbox/users/(\d+)/qr\.svg)",
               [this](const httplib::Request& q, httplib::Response& r) { user_qr(q, r); });
}

} // namespace twofa
