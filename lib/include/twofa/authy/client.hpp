#pragma once
// The Authy API client: request building, retries and decoding over an HttpTransport.
#include <twofa/authy/wire.hpp>
#include <twofa/http.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace twofa {

class AuthyClient {
  public:
    // base_url must pass check_provider_url (checked by the caller).
    AuthyClient(std::string base_url, std::string api_key, std::unique_ptr<HttpTransport> transport,
                RetryPolicy policy = {}, Sleeper sleeper = real_sleeper());

    // POST /protected/json/users/new; the Authy id.
    Result<std::int64_t> create_user(const authy::NewUser& user);
    // GET /protected/json/users/{id}/status.
    Result<authy::UserStatus> user_status(std::int64_t authy_id);
    // POST /protected/json/users/{id}/delete; false when Authy does not know the user
    // (404, 60026), which leaves nothing to delete.
    Result<bool> delete_user(std::int64_t authy_id);
    // GET /protected/json/sms/{id} or call/{id} with force=true. Never retried once it may
    // have reached Authy (a retry could send a second code).
    Result<authy::CodeSent> request_code(std::int64_t authy_id, bool voice);
    // GET /protected/json/verify/{code}/{id}?force=true. `code` must already have passed
    // validate_code. Not retried once sent (a retry would find the code used).
    Result<authy::TokenVerdict> verify_code(std::int64_t authy_id, const std::string& code);
    // POST /onetouch/json/users/{id}/approval_requests; the request's uuid. Not retried once
    // it may have reached Authy (a retry could push twice).
    Result<std::string> create_approval_request(std::int64_t authy_id,
                                                const authy::ApprovalRequest& request);
    // GET /onetouch/json/approval_requests/{uuid}: pending, approved, denied or expired.
    Result<std::string> approval_status(const std::string& uuid);
    // GET /protected/json/app/details: Authy is reachable and accepts the key.
    Status check_key();

  private:
    // Sends with send_with_retries.
    HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                      bool idempotent);

    std::string m_base;
    std::string m_key;
    std::unique_ptr<HttpTransport> m_transport;
    RetryPolicy m_policy;
    Sleeper m_sleep;
};

} // namespace twofa
