// twofa-sandbox: users, codes, faults, the state file, and what every request passes first.
#include "sandbox/sandbox_impl.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>
#include <twofa/verify/wire.hpp>

#include "util/fs_util.hpp"

#include <openssl/rand.h>
#include <unistd.h>

namespace twofa {

using namespace sandbox;
using nlohmann::json;

namespace sandbox {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw Failure(make_error(Exit::internal, "no randomness", "please report this bug"));
    }
    return out;
}

std::string random_code(int digits) {
    std::string out;
    for (char c : random_bytes(static_cast<std::size_t>(digits) * 2)) {
        // 250 of 256 values keep the digits uniform; the rest are skipped.
        if (static_cast<unsigned char>(c) < 250 && out.size() < static_cast<std::size_t>(digits)) {
            out += static_cast<char>('0' + static_cast<unsigned char>(c) % 10);
        }
    }
    return out.size() == static_cast<std::size_t>(digits) ? out : random_code(digits);
}

std::string new_uuid_text() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40); // version 4
    b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80); // variant
    std::string hex = to_hex(b);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string suffix(const std::string& digits) {
    return digits.size() >= 4 ? digits.substr(digits.size() - 4) : digits;
}

// The app is installed for every scenario but "no app" (…2222).
bool has_app(const SandboxUser& u) {
    return suffix(u.cellphone) != "2222";
}

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

bool is_api_path(const std::string& path) {
    return path.rfind("/protected/", 0) == 0 || path.rfind("/onetouch/", 0) == 0 ||
           is_verify_path(path);
}

bool is_verify_path(const std::string& path) {
    return path.rfind("/v2/", 0) == 0;
}

} // namespace sandbox

// --- state ------------------------------------------------------------------------------
Status Sandbox::Impl::load() {
    if (options.state_file.empty()) {
        return {};
    }
    auto text = detail::read_private_file(options.state_file);
    if (!text.ok()) {
        // A missing file is a fresh state; an insecure or unreadable one is an error.
        if (::access(options.state_file.c_str(), F_OK) != 0) {
            return {};
        }
        return text.error();
    }
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(Exit::config, "state file " + options.state_file + " is not valid JSON",
                          "remove it to start afresh");
    }
    next_id = j.value("next_id", std::int64_t{1001});
    for (const auto& u : j.value("users", json::array())) {
        auto key = from_hex(u.value("totp_key", std::string()));
        SandboxUser su{u.at("id").get<std::int64_t>(), u.at("email").get<std::string>(),
                       u.at("cellphone").get<std::string>(), u.at("country_code").get<int>(),
                       key.ok() ? *key : std::string()};
        if (su.totp_key.empty()) {
            su.totp_key = random_bytes(20);
        }
        users[su.id] = su;
        user_by_email[lower(su.email)] = su.id;
    }
    desk.from_json(j.value("approvals", json::array()));
    try {
        verify_state_from(j.value("verify", json::object()), verify_state);
    } catch (const json::exception&) {
        return make_error(Exit::config,
                          "state file " + options.state_file + " has malformed Verify records",
                          "remove it to start afresh");
    }
    return {};
}

void Sandbox::Impl::save_locked() {
    if (options.state_file.empty()) {
        return;
    }
    json arr = json::array();
    for (const auto& [id, u] : users) {
        arr.push_back({{"id", id},
                       {"email", u.email},
                       {"cellphone", u.cellphone},
                       {"country_code", u.country_code},
                       {"totp_key", to_hex(u.totp_key)}});
    }
    (void)detail::write_private_file(options.state_file,
                                     json{{"next_id", next_id},
                                          {"users", arr},
                                          {"approvals", desk.to_json()},
                                          {"verify", verify_state_json(verify_state)}}
                                         .dump(2));
}

// The request's parameters whatever the encoding: query string, form body or JSON body.
std::optional<std::map<std::string, std::string>>
Sandbox::Impl::params(const httplib::Request& req) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : req.params) {
        out[k] = v;
    }
    if (req.get_header_value("Content-Type").find("application/json") != std::string::npos &&
        !req.body.empty()) {
        auto flat = authy::flatten_json_params(req.body);
        if (!flat.ok()) {
            return std::nullopt;
        }
        out.insert(flat->begin(), flat->end());
    }
    return out;
}

bool Sandbox::Impl::key_ok(const httplib::Request& req) {
    std::string given = req.get_header_value("X-Authy-API-Key");
    if (given.empty() && req.has_param("api_key")) {
        given = req.get_param_value("api_key");
    }
    return equal_constant_time(given, options.api_key);
}

// Faults, the request log and the API key, before any route runs.
httplib::Server::HandlerResponse Sandbox::Impl::pre_route(const httplib::Request& req,
                                                          httplib::Response& res) {
    if (!is_api_path(req.path)) {
        return httplib::Server::HandlerResponse::Unhandled;
    }
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
        // A request without either has no body (RFC 9112 6.3); cpp-httplib would instead read
        // a POST's body until the connection closes and answer a bare 400 after its timeout.
        // The request object is httplib's own, not const: say so for the body reader.
        const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    }
    if (req.method == "GET" && !is_verify_path(req.path) &&
        !req.get_header_value("Content-Length").empty() &&
        req.get_header_value("Content-Length") != "0") {
        // A GET with a form body (npm authy sends the phone-verification parameters so, and
        // Authy's Rails read them): cpp-httplib reads bodies of POSTs only, so the request goes
        // on as a POST marked as a GET, which the GET routes also take (route_get).
        auto& r = const_cast<httplib::Request&>(req);
        r.method = "POST";
        r.headers.emplace(k_get_with_body, "1");
    }
    std::optional<Fault> fault;
    {
        std::lock_guard lock(mutex);
        if (requests.size() < 100000) {
            requests.push_back({{"method", req.has_header(k_get_with_body) ? "GET" : req.method},
                                {"path", req.path}});
        }
        if (!faults.empty()) {
            fault = faults.front();
            faults.pop_front();
        }
    }
    if (options.latency_ms > 0) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(options.latency_ms),
                      [&] { return stopping; });
    }
    if (fault) {
        apply_fault(*fault, res);
        if (is_verify_path(req.path) && res.status == 429) {
            send_json(res, 429,
                      verify::error_body(verify::k_too_many_requests, "Too many requests", 429));
        }
        return httplib::Server::HandlerResponse::Handled;
    }
    if (is_verify_path(req.path)) {
        if (!basic_ok(req)) {
            res.set_header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
            v_error(res, verify::k_authenticate, "Authenticate", 401);
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    }
    if (!key_ok(req)) {
        send_json(res, 401, authy::error_body("Invalid API key", authy::k_invalid_api_key));
        return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
}

void Sandbox::Impl::apply_fault(const Fault& f, httplib::Response& res) {
    if (f.kind == "429") {
        res.set_header("Retry-After", std::to_string(f.retry_after));
        send_json(res, 429, authy::error_body("Too many requests", "60000"));
    } else if (f.kind == "500" || f.kind == "503") {
        send_json(res, std::stoi(f.kind), R"({"message":"Service unavailable","success":false})");
    } else if (f.kind == "malformed") {
        send_json(res, 200, R"({"message":"User created successfully.","user":{"id":)");
    } else { // hang
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(f.hang_ms), [&] { return stopping; });
        send_json(res, 503, R"({"message":"Service unavailable","success":false})");
    }
}

// A user id is 1-18 digits; anything else ("tony", "12abc") is no user, as at Authy (60026).
std::optional<SandboxUser> Sandbox::Impl::find_locked(const std::string& id_text) {
    if (id_text.empty() || id_text.size() > 18 ||
        !std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    auto it = users.find(std::stoll(id_text));
    if (it == users.end()) {
        return std::nullopt;
    }
    return it->second;
}

void Sandbox::Impl::not_found(httplib::Response& res) {
    send_json(res, 404, authy::error_body("User not found.", authy::k_user_not_found));
}

} // namespace twofa
