#pragma once
// twofa-sandbox's server state, shared by its files: state.cpp (users, codes, faults, the
// state file), authy_routes.cpp (Authy's API), control.cpp (the control API for tests and
// demos) and sandbox.cpp (routing, bind, run). cpp-httplib is used only in this folder.
#include <twofa/authy/bodies.hpp>
#include <twofa/sandbox.hpp>

#include "sandbox/sandbox_onetouch.hpp"
#include "sandbox/verify_state.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

namespace twofa {

namespace sandbox {

struct SandboxUser {
    std::int64_t id = 0;
    std::string email;
    std::string cellphone;
    int country_code = 1;
    std::string totp_key; // raw bytes of the simulated app's TOTP secret
};

// A code "sent" by SMS, voice call or (Verify) email.
struct SentCode {
    std::int64_t authy_id = 0;
    std::string via; // "sms", "call" or "email"
    std::string code;
    std::int64_t at = 0;
    bool used = false;
    std::string to;   // Verify: the E.164 number or email it went to
    std::string text; // a message that is not a code (the install link), code empty
};

constexpr std::int64_t k_code_lifetime = 600; // SMS and voice codes: 10 minutes
constexpr int k_code_digits = 7;              // Authy's codes are 7 digits
constexpr int k_totp_step = 30;

struct Fault {
    std::string kind; // "429", "500", "503", "hang", "malformed"
    int retry_after = 1;
    int hang_ms = 15000;
};

std::string random_bytes(std::size_t n);
// A random version-4 UUID, as Authy's request ids.
std::string new_uuid_text();

// A random code of k_code_digits digits (or of `digits`).
std::string random_code(int digits = k_code_digits);

std::string suffix(const std::string& digits);

// The app is installed for every scenario but "no app" (…2222).
bool has_app(const SandboxUser& u);

void send_json(httplib::Response& res, int status, const std::string& body);

bool is_api_path(const std::string& path);
bool is_verify_path(const std::string& path);

// Marks a GET whose body the sandbox reads by routing it as a POST.
inline constexpr const char* k_get_with_body = "X-Twofa-Sandbox-Get-With-Body";

} // namespace sandbox

struct Sandbox::Impl {
    using SandboxUser = sandbox::SandboxUser;
    using SentCode = sandbox::SentCode;
    using Fault = sandbox::Fault;
    using json = nlohmann::json;

    SandboxOptions options;
    httplib::Server server;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    bool run_started = false; // run() is (or was) serving
    bool run_done = false;
    std::map<std::int64_t, SandboxUser> users;
    // Lower-case email -> id, kept with `users`: a create looks its email up in constant time
    // (a scan per create made a bulk import quadratic).
    std::unordered_map<std::string, std::int64_t> user_by_email;
    std::int64_t next_id = 1001;
    std::deque<Fault> faults;
    std::vector<json> requests;  // API requests seen, for tests
    std::vector<SentCode> codes; // every SMS / voice code "sent", oldest first
    std::set<std::pair<std::int64_t, std::int64_t>> used_totp; // (authy_id, time step)
    detail::ApprovalDesk desk;
    sandbox::VerifyState verify_state;
    std::string base_url; // http://HOST:PORT, once bound
    explicit Impl(SandboxOptions o)
        : options(std::move(o)),
          desk(options.api_key, options.auth_token, options.callback_url, options.approve_after) {
        desk.get_callbacks = options.callback_get;
        desk.on_change = [this] {
            std::lock_guard lock(mutex);
            save_locked();
        };
    }

    // --- state and request plumbing (state.cpp) --------------------------------------------
    Status load();
    void save_locked();
    // The request's parameters whatever the encoding: query string, form body or JSON body.
    std::optional<std::map<std::string, std::string>> params(const httplib::Request& req);
    bool key_ok(const httplib::Request& req);
    // Faults, the request log and the API key, before any route runs.
    httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res);
    void apply_fault(const Fault& f, httplib::Response& res);
    std::optional<SandboxUser> find_locked(const std::string& id_text);
    void not_found(httplib::Response& res);

    // --- Authy's API (authy_routes.cpp) -----------------------------------------------------
    void users_new(const httplib::Request& req, httplib::Response& res);
    void user_status(const httplib::Request& req, httplib::Response& res);
    void user_delete(const httplib::Request& req, httplib::Response& res);
    void send_code(const httplib::Request& req, httplib::Response& res);
    // Valid: the latest unexpired SMS / voice code, or the app's TOTP code (one step either
    // way). A code that was already accepted is "reused" (60019).
    void verify(const httplib::Request& req, httplib::Response& res);
    void app_details(httplib::Response& res);
    void approval_create(const httplib::Request& req, httplib::Response& res);
    void approval_status(const httplib::Request& req, httplib::Response& res);
    void api_routes();

    // --- Phone Verification and Phone Intelligence (authy_phones.cpp) ------------------------
    struct PhoneVerification {
        std::string uuid;
        int country_code = 1;
        std::string phone;
        std::string code;
        std::string status; // pending, verified
        std::int64_t created = 0;
    };
    std::vector<PhoneVerification> phone_verifications;
    struct PhoneRequest {
        std::map<std::string, std::string> params;
        int country_code = 1;
        std::string phone; // digits
    };
    std::optional<PhoneRequest> phone_request(const httplib::Request& req, httplib::Response& res);
    PhoneVerification* phone_pending(int country_code, const std::string& phone, bool verified_too);
    void phone_start(const httplib::Request& req, httplib::Response& res);
    void phone_check(const httplib::Request& req, httplib::Response& res);
    void phone_status(const httplib::Request& req, httplib::Response& res);
    void phone_info(const httplib::Request& req, httplib::Response& res);
    void phone_routes();

    // --- statistics, activities, QR codes (authy_extras.cpp) --------------------------------
    void app_stats(httplib::Response& res);
    void register_activity(const httplib::Request& req, httplib::Response& res);
    void user_secret(const httplib::Request& req, httplib::Response& res);
    void user_qr(const httplib::Request& req, httplib::Response& res);
    void extra_routes();

    // --- the control API (control.cpp) ------------------------------------------------------
    void messages(const httplib::Request& req, httplib::Response& res);
    void app_token(const httplib::Request& req, httplib::Response& res);
    void approval_answer(const httplib::Request& req, httplib::Response& res);
    void add_faults(const httplib::Request& req, httplib::Response& res);
    void push_device(const httplib::Request& req, httplib::Response& res);
    void control_routes();
    void phone_page_routes(); // GET /phone and /sandbox/pushes (phone_page.cpp)

    // --- Verify v2 (verify_routes.cpp, verify_factors.cpp) --------------------------------
    // HTTP Basic with an AC… (or SK…) user and the --auth-token.
    bool basic_ok(const httplib::Request& req) const;
    // The account SID a request authenticated as (AC + zeros for an API key).
    static std::string account_of(const httplib::Request& req);
    void v_error(httplib::Response& res, int code, const std::string& message, int status);
    // A list answered as the page PageSize (1-1000, default 50) and Page (from 0) ask for, or
    // 60200 for a bad one.
    void v_list(const httplib::Request& req, httplib::Response& res, const char* key,
                const std::vector<nlohmann::json>& items);
    // The same for a list, or for a fetch of one (the only item, else 20404).
    void v_list_or_one(const httplib::Request& req, httplib::Response& res, const char* key,
                       const std::vector<nlohmann::json>& items, bool one);
    // 20404 "The requested resource ... was not found", as Twilio words it.
    void v_not_found(const httplib::Request& req, httplib::Response& res);
    // The service of matches[1] (locked), or nullptr after answering 20404.
    sandbox::VService* v_service(const httplib::Request& req, httplib::Response& res);
    void v_services(const httplib::Request& req, httplib::Response& res);
    void v_service_create(const httplib::Request& req, httplib::Response& res);
    // The service's pending, unexpired verification to that address (or of that sid), or
    // nullptr. Verify keeps one per address.
    sandbox::VVerification* v_pending(const std::string& service, const std::string& to,
                                      const std::string& sid);
    void v_verification_create(const httplib::Request& req, httplib::Response& res);
    void v_verification_fetch(const httplib::Request& req, httplib::Response& res);
    void v_check(const httplib::Request& req, httplib::Response& res);
    void v_webhook_create(const httplib::Request& req, httplib::Response& res);
    void v_webhooks(const httplib::Request& req, httplib::Response& res);
    void v_entity_create(const httplib::Request& req, httplib::Response& res);
    void v_entities(const httplib::Request& req, httplib::Response& res);
    void v_factor_create(const httplib::Request& req, httplib::Response& res);
    void v_factors(const httplib::Request& req, httplib::Response& res);
    void v_factor_update(const httplib::Request& req, httplib::Response& res);
    void v_challenge_create(const httplib::Request& req, httplib::Response& res);
    void v_challenges(const httplib::Request& req, httplib::Response& res);
    void v_challenge_update(const httplib::Request& req, httplib::Response& res);
    // A TOTP code of the factor now (one step either way by its skew), each step once.
    bool v_totp_ok(sandbox::VFactor& f, const std::string& code);
    void verify_routes();

    void routes();
    // A GET route, also taking GETs with a body (see pre_route).
    void route_get(const std::string& pattern, const httplib::Server::Handler& handler);
};

} // namespace twofa
