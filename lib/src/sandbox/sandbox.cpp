// twofa-sandbox's server. cpp-httplib is used here and in the callback listener only.
#include <twofa/authy/wire.hpp>
#include <twofa/otp.hpp>
#include <twofa/sandbox.hpp>
#include <twofa/validate.hpp>

#include "sandbox/sandbox_onetouch.hpp"
#include "util/fs_util.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

namespace twofa {

using nlohmann::json;

namespace {

struct SandboxUser {
    std::int64_t id = 0;
    std::string email;
    std::string cellphone;
    int country_code = 1;
    std::string totp_key; // raw bytes of the simulated app's TOTP secret
};

// A code "sent" by SMS or voice call.
struct SentCode {
    std::int64_t authy_id = 0;
    std::string via; // "sms" or "call"
    std::string code;
    std::int64_t at = 0;
    bool used = false;
};

constexpr std::int64_t k_code_lifetime = 600; // SMS and voice codes: 10 minutes
constexpr int k_code_digits = 7;              // Authy's codes are 7 digits
constexpr int k_totp_step = 30;

std::int64_t unix_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw Failure(make_error(Exit::internal, "no randomness", "please report this bug"));
    }
    return out;
}

// A random code of k_code_digits digits.
std::string random_code() {
    std::string raw = random_bytes(8);
    std::uint64_t v = 0;
    for (char c : raw) {
        v = (v << 8) | static_cast<unsigned char>(c);
    }
    std::string digits = std::to_string(v % 10000000U);
    return std::string(k_code_digits - digits.size(), '0') + digits;
}

bool same(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(const std::string& raw) {
    static const char k_hex[] = "0123456789abcdef";
    std::string out;
    for (char c : raw) {
        auto b = static_cast<unsigned char>(c);
        out.push_back(k_hex[b >> 4]);
        out.push_back(k_hex[b & 0x0f]);
    }
    return out;
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

struct Fault {
    std::string kind; // "429", "500", "503", "hang", "malformed"
    int retry_after = 1;
    int hang_ms = 15000;
};

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
    return path.rfind("/protected/", 0) == 0 || path.rfind("/onetouch/", 0) == 0;
}

} // namespace

struct Sandbox::Impl {
    SandboxOptions options;
    httplib::Server server;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::map<std::int64_t, SandboxUser> users;
    std::int64_t next_id = 1001;
    std::deque<Fault> faults;
    std::vector<json> requests;  // API requests seen, for tests
    std::vector<SentCode> codes; // every SMS / voice code "sent", oldest first
    std::set<std::pair<std::int64_t, std::int64_t>> used_totp; // (authy_id, time step)
    detail::ApprovalDesk desk;

    explicit Impl(SandboxOptions o)
        : options(std::move(o)),
          desk(options.api_key, options.callback_url, options.approve_after) {
        desk.on_change = [this] {
            std::lock_guard lock(mutex);
            save_locked();
        };
    }

    // --- state ------------------------------------------------------------------------------
    Status load() {
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
            return make_error(Exit::config,
                              "state file " + options.state_file + " is not valid JSON",
                              "remove it to start afresh");
        }
        next_id = j.value("next_id", std::int64_t{1001});
        for (const auto& u : j.value("users", json::array())) {
            SandboxUser su{u.at("id").get<std::int64_t>(), u.at("email").get<std::string>(),
                           u.at("cellphone").get<std::string>(), u.at("country_code").get<int>(),
                           from_hex(u.value("totp_key", std::string()))};
            if (su.totp_key.empty()) {
                su.totp_key = random_bytes(20);
            }
            users[su.id] = su;
        }
        desk.from_json(j.value("approvals", json::array()));
        return {};
    }

    void save_locked() {
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
        (void)detail::write_private_file(
            options.state_file,
            json{{"next_id", next_id}, {"users", arr}, {"approvals", desk.to_json()}}.dump(2));
    }

    // --- request plumbing -------------------------------------------------------------------

    // The request's parameters whatever the encoding: query string, form body or JSON body.
    std::optional<std::map<std::string, std::string>> params(const httplib::Request& req) {
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

    bool key_ok(const httplib::Request& req) {
        std::string given = req.get_header_value("X-Authy-API-Key");
        if (given.empty() && req.has_param("api_key")) {
            given = req.get_param_value("api_key");
        }
        return same(given, options.api_key);
    }

    // Faults, the request log and the API key, before any route runs.
    httplib::Server::HandlerResponse pre_route(const httplib::Request& req,
                                               httplib::Response& res) {
        if (!is_api_path(req.path)) {
            return httplib::Server::HandlerResponse::Unhandled;
        }
        std::optional<Fault> fault;
        {
            std::lock_guard lock(mutex);
            if (requests.size() < 100000) {
                requests.push_back({{"method", req.method}, {"path", req.path}});
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
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!key_ok(req)) {
            send_json(res, 401, authy::error_body("Invalid API key", authy::k_invalid_api_key));
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    }

    void apply_fault(const Fault& f, httplib::Response& res) {
        if (f.kind == "429") {
            res.set_header("Retry-After", std::to_string(f.retry_after));
            send_json(res, 429, authy::error_body("Too many requests", "60000"));
        } else if (f.kind == "500" || f.kind == "503") {
            send_json(res, std::stoi(f.kind),
                      R"({"message":"Service unavailable","success":false})");
        } else if (f.kind == "malformed") {
            send_json(res, 200, R"({"message":"User created successfully.","user":{"id":)");
        } else { // hang
            std::unique_lock lock(mutex);
            wake.wait_for(lock, std::chrono::milliseconds(f.hang_ms), [&] { return stopping; });
            send_json(res, 503, R"({"message":"Service unavailable","success":false})");
        }
    }

    // --- Authy API ------------------------------------------------------------------------

    void users_new(const httplib::Request& req, httplib::Response& res) {
        auto p = params(req);
        if (!p) {
            send_json(res, 400, authy::error_body("Invalid JSON body", "60000"));
            return;
        }
        auto get = [&](const char* nested, const char* flat) {
            auto it = p->find(nested);
            if (it == p->end()) {
                it = p->find(flat);
            }
            return it == p->end() ? std::string() : it->second;
        };
        std::string email = get("user[email]", "email");
        std::string phone = get("user[cellphone]", "cellphone");
        std::string cc = get("user[country_code]", "country_code");
        std::map<std::string, std::string> bad;
        auto valid_email = validate_email(email);
        auto valid_phone = validate_phone(phone);
        auto valid_cc = validate_country_code(cc);
        if (!valid_email.ok()) {
            bad["email"] = email.empty() ? "is required" : "is invalid";
        }
        if (!valid_phone.ok()) {
            bad["cellphone"] = phone.empty() ? "is required" : "is invalid";
        }
        if (!valid_cc.ok()) {
            bad["country_code"] = cc.empty() ? "is required" : "is invalid";
        }
        if (!bad.empty()) {
            send_json(res, 400,
                      authy::error_body("User was not valid", authy::k_user_invalid, bad));
            return;
        }
        if (suffix(*valid_phone) == "4444") {
            send_json(res, 400,
                      authy::error_body("Invalid phone number", authy::k_invalid_phone,
                                        {{"cellphone", "is invalid"}}));
            return;
        }
        std::lock_guard lock(mutex);
        // Authy answers a known email with the user it already has.
        for (auto& [id, u] : users) {
            if (lower(u.email) == lower(*valid_email)) {
                u.cellphone = *valid_phone;
                u.country_code = *valid_cc;
                save_locked();
                send_json(res, 200, authy::user_created_body(id));
                return;
            }
        }
        SandboxUser u{next_id++, *valid_email, *valid_phone, *valid_cc, random_bytes(20)};
        users[u.id] = u;
        save_locked();
        send_json(res, 200, authy::user_created_body(u.id));
    }

    std::optional<SandboxUser> find_locked(const std::string& id_text) {
        try {
            auto it = users.find(std::stoll(id_text));
            if (it != users.end()) {
                return it->second;
            }
        } catch (const std::exception&) {
        }
        return std::nullopt;
    }

    void not_found(httplib::Response& res) {
        send_json(res, 404, authy::error_body("User not found.", authy::k_user_not_found));
    }

    void user_status(const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        auto u = find_locked(req.matches[1]);
        if (!u) {
            return not_found(res);
        }
        authy::UserStatus s;
        s.authy_id = u->id;
        s.registered = has_app(*u);
        s.confirmed = false;
        s.country_code = u->country_code;
        s.phone_number = "XXX-XXX-" + suffix(u->cellphone);
        if (s.registered) {
            s.devices = {"android"};
        }
        send_json(res, 200, authy::user_status_body(s, u->email));
    }

    void user_delete(const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        auto u = find_locked(req.matches[1]);
        if (!u) {
            return not_found(res);
        }
        users.erase(u->id);
        save_locked();
        send_json(res, 200, authy::user_deleted_body());
    }

    void send_code(const httplib::Request& req, httplib::Response& res) {
        bool voice = req.matches[1] == "call";
        std::lock_guard lock(mutex);
        auto u = find_locked(req.matches[2]);
        if (!u) {
            return not_found(res);
        }
        std::string masked =
            "+" + std::to_string(u->country_code) + "-XXX-XXX-" + suffix(u->cellphone);
        bool force = req.get_param_value("force") == "true";
        if (has_app(*u) && !force) {
            send_json(res, 200, authy::code_ignored_body(voice, masked));
            return;
        }
        codes.push_back(SentCode{u->id, voice ? "call" : "sms", random_code(), unix_now(), false});
        send_json(res, 200, authy::code_sent_body(voice, masked));
    }

    // Valid: the latest unexpired SMS / voice code, or the app's TOTP code (one step either
    // way). A code that was already accepted is "reused" (60019).
    void verify(const httplib::Request& req, httplib::Response& res) {
        const std::string token = req.matches[1];
        std::lock_guard lock(mutex);
        auto u = find_locked(req.matches[2]);
        if (!u) {
            return not_found(res);
        }
        bool digits =
            std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || token.size() < 6 || token.size() > 12) {
            send_json(res, 401, authy::token_invalid_body(false));
            return;
        }
        const std::int64_t now = unix_now();
        for (auto it = codes.rbegin(); it != codes.rend(); ++it) {
            if (it->authy_id != u->id) {
                continue;
            }
            if (now - it->at < k_code_lifetime && same(it->code, token)) {
                if (it->used) {
                    send_json(res, 401, authy::token_invalid_body(true));
                    return;
                }
                it->used = true;
                send_json(res, 200, authy::token_valid_body());
                return;
            }
            break; // only the latest code counts
        }
        for (std::int64_t step = -1; step <= 1; ++step) {
            std::int64_t t = now + step * k_totp_step;
            if (same(totp(u->totp_key, t, k_code_digits, k_totp_step), token)) {
                if (!used_totp.insert({u->id, t / k_totp_step}).second) {
                    send_json(res, 401, authy::token_invalid_body(true));
                    return;
                }
                send_json(res, 200, authy::token_valid_body());
                return;
            }
        }
        send_json(res, 401, authy::token_invalid_body(false));
    }

    void app_details(httplib::Response& res) {
        send_json(res, 200,
                  json{{"app",
                        {{"name", "twofa-sandbox"},
                         {"plan", "sandbox"},
                         {"sms_enabled", true},
                         {"phone_calls_enabled", true},
                         {"app_id", 1},
                         {"onetouch_enabled", true}}},
                       {"message", "Application information."},
                       {"success", true}}
                      .dump());
    }

    void messages(const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        std::string filter = req.get_param_value("authy_id");
        json arr = json::array();
        for (const auto& c : codes) {
            if (filter.empty() || filter == std::to_string(c.authy_id)) {
                arr.push_back(
                    {{"authy_id", c.authy_id}, {"via", c.via}, {"code", c.code}, {"at", c.at}});
            }
        }
        send_json(res, 200, arr.dump());
    }

    void app_token(const httplib::Request& req, httplib::Response& res) {
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

    // --- OneTouch ------------------------------------------------------------------------

    void approval_create(const httplib::Request& req, httplib::Response& res) {
        auto p = params(req);
        if (!p) {
            send_json(res, 400, authy::error_body("Invalid JSON body", "60000"));
            return;
        }
        std::optional<SandboxUser> u;
        {
            std::lock_guard lock(mutex);
            u = find_locked(req.matches[1]);
        }
        if (!u) {
            return not_found(res);
        }
        std::string message = p->count("message") != 0U ? p->at("message") : "";
        if (message.empty()) {
            send_json(res, 400,
                      authy::error_body("Invalid message - should not be empty", "60080",
                                        {{"message", "is required"}}));
            return;
        }
        if (!has_app(*u)) {
            send_json(res, 400, authy::error_body("User has no device for OneTouch", "60050"));
            return;
        }
        std::int64_t seconds = 86400; // the documented default, when none is sent
        if (auto it = p->find("seconds_to_expire"); it != p->end() && !it->second.empty()) {
            try {
                seconds = std::stoll(it->second);
            } catch (const std::exception&) {
                seconds = -1;
            }
            if (seconds < 0 || seconds > std::int64_t{86400} * 30) {
                send_json(res, 400,
                          authy::error_body("Invalid seconds_to_expire", "60080",
                                            {{"seconds_to_expire", "is invalid"}}));
                return;
            }
        }
        authy::CallbackFacts f;
        f.authy_id = u->id;
        f.message = message;
        for (const auto& [k, v] : *p) {
            for (const char* prefix : {"details[", "hidden_details["}) {
                std::string pre = prefix;
                if (k.rfind(pre, 0) == 0 && k.back() == ']') {
                    auto& target = pre == "details[" ? f.details : f.hidden_details;
                    target.emplace_back(k.substr(pre.size(), k.size() - pre.size() - 1), v);
                }
            }
        }
        f.created_at = unix_now();
        f.expires_at = seconds == 0 ? 0 : f.created_at + seconds;
        std::string tail = suffix(u->cellphone);
        auto phone = tail == "1111"   ? detail::PhoneScenario::deny
                     : tail == "3333" ? detail::PhoneScenario::never
                                      : detail::PhoneScenario::approve;
        send_json(res, 200, authy::approval_created_body(desk.create(f, u->email, phone)));
    }

    void approval_status(const httplib::Request& req, httplib::Response& res) {
        auto found = desk.find(req.matches[1]);
        if (!found) {
            send_json(res, 404, authy::approval_not_found_body(req.matches[1]));
            return;
        }
        send_json(res, 200, authy::approval_status_body(found->first, found->second));
    }

    void approval_answer(const httplib::Request& req, httplib::Response& res) {
        std::string status = req.matches[2] == "approve" ? "approved" : "denied";
        auto refused = desk.answer(req.matches[1], status);
        if (refused) {
            send_json(res, *refused == "unknown" ? 404 : 409,
                      json{{"error", "the request is not pending"}, {"status", *refused}}.dump());
            return;
        }
        send_json(res, 200, json{{"uuid", req.matches[1]}, {"status", status}}.dump());
    }

    // --- control API ----------------------------------------------------------------------

    void add_faults(const httplib::Request& req, httplib::Response& res) {
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

    void routes() {
        server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            return pre_route(req, res);
        });
        server.Post("/protected/json/users/new",
                    [this](const httplib::Request& q, httplib::Response& r) { users_new(q, r); });
        server.Get(R"(/protected/json/users/(\d+)/status)",
                   [this](const httplib::Request& q, httplib::Response& r) { user_status(q, r); });
        for (const char* path :
             {R"(/protected/json/users/(\d+)/delete)", R"(/protected/json/users/delete/(\d+))",
              R"(/protected/json/users/(\d+)/remove)"}) {
            server.Post(path, [this](const httplib::Request& q, httplib::Response& r) {
                user_delete(q, r);
            });
        }
        server.Get(R"(/protected/json/(sms|call)/(\d+))",
                   [this](const httplib::Request& q, httplib::Response& r) { send_code(q, r); });
        server.Get(R"(/protected/json/verify/([^/]+)/([^/]+))",
                   [this](const httplib::Request& q, httplib::Response& r) { verify(q, r); });
        server.Get("/protected/json/app/details",
                   [this](const httplib::Request&, httplib::Response& r) { app_details(r); });
        server.Get("/sandbox/messages",
                   [this](const httplib::Request& q, httplib::Response& r) { messages(q, r); });
        server.Get(R"(/sandbox/users/(\d+)/token)",
                   [this](const httplib::Request& q, httplib::Response& r) { app_token(q, r); });
        server.Post(
            R"(/onetouch/json/users/(\d+)/approval_requests)",
            [this](const httplib::Request& q, httplib::Response& r) { approval_create(q, r); });
        server.Get(
            R"(/onetouch/json/approval_requests/([^/]+))",
            [this](const httplib::Request& q, httplib::Response& r) { approval_status(q, r); });
        server.Post(
            R"(/sandbox/approval_requests/([^/]+)/(approve|deny))",
            [this](const httplib::Request& q, httplib::Response& r) { approval_answer(q, r); });
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
        server.Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
            send_json(r, 200, R"({"status":"ok"})");
        });
        server.set_error_handler([](const httplib::Request& req, httplib::Response& r) {
            if (r.status == 404 && r.body.empty() && is_api_path(req.path)) {
                send_json(r, 404, authy::error_body("Not found", "60000"));
            }
        });
    }
};

Sandbox::Sandbox(SandboxOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
Sandbox::~Sandbox() = default;

Result<int> Sandbox::bind() {
    auto& o = m_impl->options;
    if (o.host != "localhost" && o.host != "::1" && !detail::is_ipv4_loopback(o.host)) {
        return make_error(Exit::usage, "twofa-sandbox listens on loopback only, not " + o.host,
                          "use --listen 127.0.0.1:PORT");
    }
    if (o.api_key.empty()) {
        return make_error(Exit::config, "no API key for the sandbox",
                          "pass --api-key or set AUTHY_API_KEY");
    }
    if (auto r = m_impl->load(); !r.ok()) {
        return r.error();
    }
    m_impl->routes();
    m_impl->server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    m_impl->server.set_tcp_nodelay(true);
    m_impl->server.set_keep_alive_timeout(5);
    m_impl->server.set_read_timeout(5);
    m_impl->server.set_payload_max_length(std::size_t{64} * 1024);
    int port = o.port;
    if (port == 0) {
        port = m_impl->server.bind_to_any_port(o.host);
        if (port < 0) {
            port = 0;
        }
    } else if (!m_impl->server.bind_to_port(o.host, port)) {
        port = 0;
    }
    if (port == 0) {
        return make_error(Exit::unavailable,
                          "cannot listen on " + o.host + ":" + std::to_string(o.port),
                          "is the port in use? try --listen 127.0.0.1:0");
    }
    return port;
}

bool Sandbox::run() {
    m_impl->desk.start();
    bool ok = m_impl->server.listen_after_bind();
    m_impl->desk.stop();
    return ok;
}

void Sandbox::stop() {
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->wake.notify_all();
    m_impl->server.stop();
}

} // namespace twofa
