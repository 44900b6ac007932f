#include <twofa/authy/client.hpp>
#include <twofa/validate.hpp>

namespace twofa {

AuthyClient::AuthyClient(std::string base_url, std::string api_key,
                         std::unique_ptr<HttpTransport> transport, RetryPolicy policy,
                         Sleeper sleeper)
    : m_base(std::move(base_url)), m_key(std::move(api_key)), m_transport(std::move(transport)),
      m_policy(policy), m_sleep(std::move(sleeper)) {
    while (!m_base.empty() && m_base.back() == '/') {
        m_base.pop_back();
    }
}

HttpResponse AuthyClient::call(const std::string& method, const std::string& path,
                               const std::string& body, bool idempotent) {
    HttpRequest req{
        method,
        m_base + path,
        {{"X-Authy-API-Key", m_key}, {"Accept", "application/json"}, {"User-Agent", "twofa/0.1"}},
        body};
    if (method == "POST") {
        req.headers.emplace_back("Content-Type", "application/json");
    }
    return send_with_retries(*m_transport, req, idempotent, m_policy, m_sleep);
}

Result<std::int64_t> AuthyClient::create_user(const authy::NewUser& user) {
    // Authy answers users/new for a known email with the same id, so a retry cannot create a
    // second user: the call counts as idempotent.
    return authy::decode_new_user(
        call("POST", "/protected/json/users/new", authy::encode_new_user(user), true));
}

Result<authy::UserStatus> AuthyClient::user_status(std::int64_t authy_id) {
    return authy::decode_user_status(
        call("GET", "/protected/json/users/" + std::to_string(authy_id) + "/status", "", true));
}

Result<bool> AuthyClient::delete_user(std::int64_t authy_id) {
    auto r =
        call("POST", "/protected/json/users/" + std::to_string(authy_id) + "/delete", "{}", true);
    if (r.status == 404 && authy::error_code_of(r.body) == authy::k_user_not_found) {
        return false;
    }
    if (auto st = authy::decode_ok(r); !st.ok()) {
        return st.error();
    }
    return true;
}

} // namespace twofa

namespace twofa {

Result<authy::CodeSent> AuthyClient::request_code(std::int64_t authy_id, bool voice) {
    std::string path = std::string("/protected/json/") + (voice ? "call/" : "sms/") +
                       std::to_string(authy_id) + "?force=true";
    return authy::decode_code_sent(call("GET", path, "", false));
}

Result<authy::TokenVerdict> AuthyClient::verify_code(std::int64_t authy_id,
                                                     const std::string& code) {
    // Checked again here: this is the line that puts the code into a URL path.
    if (auto valid = validate_code(code); !valid.ok()) {
        return valid.error();
    }
    return authy::decode_verify(call(
        "GET", "/protected/json/verify/" + code + "/" + std::to_string(authy_id) + "?force=true",
        "", false));
}

Result<std::string> AuthyClient::create_approval_request(std::int64_t authy_id,
                                                         const authy::ApprovalRequest& request) {
    return authy::decode_approval_created(
        call("POST", "/onetouch/json/users/" + std::to_string(authy_id) + "/approval_requests",
             authy::encode_approval_request(request), false));
}

Result<std::string> AuthyClient::approval_status(const std::string& uuid) {
    return authy::decode_approval_status(
        call("GET", "/onetouch/json/approval_requests/" + uuid, "", true));
}

Status AuthyClient::check_key() {
    return authy::decode_ok(call("GET", "/protected/json/app/details", "", true));
}

} // namespace twofa
