#pragma once
// twofa-sandbox's push desk: Authy approval requests and Verify push challenges, the simulated
// phone that answers them (by scenario or through the control API), and the signed callbacks
// (Authy's X-Authy-Signature JSON, Verify's X-Twilio-Signature form webhooks).
#include <twofa/authy/bodies.hpp>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace twofa::detail {

// What the simulated phone does with a push.
enum class PhoneScenario { approve, deny, never };

// A Verify push challenge's own facts (its uuid in CallbackFacts is the YC sid).
struct VerifyPushFacts {
    std::string account_sid;
    std::string service_sid;
    std::string identity;
    std::string factor_sid;
    std::string factor_name;
    // Where its webhooks go: each URL with the events it takes ("challenge.approved", ...).
    std::vector<std::pair<std::string, std::vector<std::string>>> hooks;
};

class ApprovalDesk {
  public:
    // api_key signs Authy callbacks, auth_token Verify webhooks.
    ApprovalDesk(std::string api_key, std::string auth_token, std::string callback_url,
                 double approve_after);
    ~ApprovalDesk();
    ApprovalDesk(const ApprovalDesk&) = delete;
    ApprovalDesk& operator=(const ApprovalDesk&) = delete;

    // Starts the phone and the callback sender; stop() ends them (idempotent).
    void start();
    void stop();

    // A new pending request; its uuid.
    std::string create(authy::CallbackFacts facts, const std::string& email, PhoneScenario phone);
    // A new pending Verify push challenge; its sid.
    std::string create_challenge(authy::CallbackFacts facts, VerifyPushFacts verify,
                                 PhoneScenario phone);
    // A Verify challenge's facts (nullopt when unknown or an Authy request).
    std::optional<std::pair<authy::CallbackFacts, VerifyPushFacts>>
    find_challenge(const std::string& sid);
    // The Verify challenges of one entity, oldest first.
    std::vector<std::pair<authy::CallbackFacts, VerifyPushFacts>>
    challenges_of(const std::string& service, const std::string& identity);
    // The request as Authy would report it now (pending past its expiry reads "expired"),
    // with the user's email; nullopt when unknown.
    std::optional<std::pair<authy::CallbackFacts, std::string>> find(const std::string& uuid);
    // Answers a pending request now ("approved" / "denied") and sends the callback. The
    // request's status when it was not pending (nothing changes), nullopt when it was.
    std::optional<std::string> answer(const std::string& uuid, const std::string& status);
    // Every callback sent: uuid, status, attempts, last HTTP status (0: no answer).
    nlohmann::json callbacks() const;
    // The requests still waiting for the phone, oldest first: {"uuid","kind" ("authy" or
    // "verify"),"authy_id","email" (a Verify challenge's entity identity),"message",
    // "details":[[k,v]...],"expires_at"}.
    nlohmann::json pending() const;

    // For the --state file.
    nlohmann::json to_json() const;
    void from_json(const nlohmann::json& j);
    // Called (outside the lock) after every change worth saving.
    std::function<void()> on_change;
    // Authy callbacks by GET (the dashboard's option) instead of POST; set before start().
    bool get_callbacks = false;

  private:
    struct Request {
        authy::CallbackFacts facts;
        std::string email;
        PhoneScenario phone = PhoneScenario::approve;
        std::int64_t answer_at_ms = 0;         // when the simulated phone answers
        std::optional<VerifyPushFacts> verify; // set: a Verify challenge
    };
    // A callback to send: Authy's JSON (signed per attempt, with a fresh nonce) or Verify's
    // form.
    struct Outgoing {
        std::string url;
        std::string body;
        bool verify = false;
        std::string signature; // Verify's X-Twilio-Signature (Authy's is made per attempt)
    };
    struct Delivery {
        std::string uuid;
        std::string status;
        int attempts = 0;
        int http_status = 0;
    };

    void phone_loop();
    void sender_loop();
    void answer_locked(Request& r, const std::string& status, std::int64_t now);
    void deliver(const Outgoing& out, Delivery& d);
    void queue_verify_webhooks(const Request& r);
    std::string insert(Request r);

    std::string m_key;
    std::string m_token;
    std::string m_callback_url;
    double m_approve_after;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::map<std::string, Request> m_requests;
    std::deque<std::pair<Outgoing, std::size_t>> m_outbox; // and its index in m_deliveries
    std::vector<Delivery> m_deliveries;
    std::thread m_phone;
    std::thread m_sender;
};

} // namespace twofa::detail
