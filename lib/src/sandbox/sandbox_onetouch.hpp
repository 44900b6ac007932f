#pragma once
// twofa-sandbox's OneTouch desk: approval requests, the simulated phone that answers them
// (by phone-number scenario or through the control API), and Authy-style signed callbacks.
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

class ApprovalDesk {
  public:
    ApprovalDesk(std::string api_key, std::string callback_url, double approve_after);
    ~ApprovalDesk();
    ApprovalDesk(const ApprovalDesk&) = delete;
    ApprovalDesk& operator=(const ApprovalDesk&) = delete;

    // Starts the phone and the callback sender; stop() ends them (idempotent).
    void start();
    void stop();

    // A new pending request; its uuid.
    std::string create(authy::CallbackFacts facts, const std::string& email, PhoneScenario phone);
    // The request as Authy would report it now (pending past its expiry reads "expired"),
    // with the user's email; nullopt when unknown.
    std::optional<std::pair<authy::CallbackFacts, std::string>> find(const std::string& uuid);
    // Answers a pending request now ("approved" / "denied") and sends the callback. The
    // request's status when it was not pending (nothing changes), nullopt when it was.
    std::optional<std::string> answer(const std::string& uuid, const std::string& status);
    // Every callback sent: uuid, status, attempts, last HTTP status (0: no answer).
    nlohmann::json callbacks() const;

    // For the --state file.
    nlohmann::json to_json() const;
    void from_json(const nlohmann::json& j);
    // Called (outside the lock) after every change worth saving.
    std::function<void()> on_change;

  private:
    struct Request {
        authy::CallbackFacts facts;
        std::string email;
        PhoneScenario phone = PhoneScenario::approve;
        std::int64_t answer_at_ms = 0; // when the simulated phone answers
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
    void deliver(const std::string& body, Delivery& d);

    std::string m_key;
    std::string m_callback_url;
    double m_approve_after;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::map<std::string, Request> m_requests;
    std::deque<std::pair<std::string, std::size_t>> m_outbox; // body, index in m_deliveries
    std::vector<Delivery> m_deliveries;
    std::thread m_phone;
    std::thread m_sender;
};

} // namespace twofa::detail
