#include "sandbox/sandbox_onetouch.hpp"

#include <twofa/util.hpp>

#include <twofa/authy/signature.hpp>
#include <twofa/verify/wire.hpp>

#include <httplib.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace twofa::detail {

using nlohmann::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string new_uuid() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // variant
    std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

// "+" (a space in the canonical form; a literal '+' is %2B there) as %20.
std::string plus_as_space(const std::string& canonical) {
    std::string out;
    for (char c : canonical) {
        out += c == '+' ? std::string("%20") : std::string(1, c);
    }
    return out;
}

} // namespace

ApprovalDesk::ApprovalDesk(std::string api_key, std::string auth_token, std::string callback_url,
                           double approve_after)
    : m_key(std::move(api_key)), m_token(std::move(auth_token)),
      m_callback_url(std::move(callback_url)), m_approve_after(approve_after) {}

ApprovalDesk::~ApprovalDesk() {
    stop();
}

void ApprovalDesk::start() {
    m_phone = std::thread([this] { phone_loop(); });
    m_sender = std::thread([this] { sender_loop(); });
}

void ApprovalDesk::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_phone.joinable()) {
        m_phone.join();
    }
    if (m_sender.joinable()) {
        m_sender.join();
    }
}

std::string ApprovalDesk::insert(Request r) {
    std::string id = r.facts.uuid;
    {
        std::lock_guard lock(m_mutex);
        r.facts.status = "pending";
        r.answer_at_ms = now_ms() + static_cast<std::int64_t>(m_approve_after * 1000);
        m_requests[id] = std::move(r);
    }
    m_wake.notify_all();
    if (on_change) {
        on_change();
    }
    return id;
}

std::string ApprovalDesk::create(authy::CallbackFacts facts, const std::string& email,
                                 PhoneScenario phone) {
    facts.uuid = new_uuid();
    return insert(Request{std::move(facts), email, phone, 0, std::nullopt});
}

std::string ApprovalDesk::create_challenge(authy::CallbackFacts facts, VerifyPushFacts verify,
                                           PhoneScenario phone) {
    facts.uuid = verify::new_sid("YC");
    return insert(Request{std::move(facts), "", phone, 0, std::move(verify)});
}

std::optional<std::pair<authy::CallbackFacts, VerifyPushFacts>>
ApprovalDesk::find_challenge(const std::string& sid) {
    std::lock_guard lock(m_mutex);
    auto it = m_requests.find(sid);
    if (it == m_requests.end() || !it->second.verify) {
        return std::nullopt;
    }
    auto facts = it->second.facts;
    if (facts.status == "pending" && facts.expires_at > 0 && unix_now() >= facts.expires_at) {
        facts.status = "expired";
    }
    return std::make_pair(facts, *it->second.verify);
}

std::vector<std::pair<authy::CallbackFacts, VerifyPushFacts>>
ApprovalDesk::challenges_of(const std::string& service, const std::string& identity) {
    std::vector<std::pair<authy::CallbackFacts, VerifyPushFacts>> out;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [id, r] : m_requests) {
            if (r.verify && r.verify->service_sid == service && r.verify->identity == identity) {
                out.emplace_back(r.facts, *r.verify);
            }
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first.created_at < b.first.created_at; });
    for (auto& [facts, v] : out) {
        if (facts.status == "pending" && facts.expires_at > 0 && unix_now() >= facts.expires_at) {
            facts.status = "expired";
        }
    }
    return out;
}

std::optional<std::pair<authy::CallbackFacts, std::string>>
ApprovalDesk::find(const std::string& uuid) {
    std::lock_guard lock(m_mutex);
    auto it = m_requests.find(uuid);
    if (it == m_requests.end()) {
        return std::nullopt;
    }
    auto facts = it->second.facts;
    if (facts.status == "pending" && facts.expires_at > 0 && unix_now() >= facts.expires_at) {
        facts.status = "expired";
    }
    return std::make_pair(facts, it->second.email);
}

std::optional<std::string> ApprovalDesk::answer(const std::string& uuid,
                                                const std::string& status) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_requests.find(uuid);
        if (it == m_requests.end()) {
            return std::string("unknown");
        }
        auto now = unix_now();
        auto& f = it->second.facts;
        if (f.status != "pending" || (f.expires_at > 0 && now >= f.expires_at)) {
            return f.status == "pending" ? std::string("expired") : f.status;
        }
        answer_locked(it->second, status, now);
    }
    m_wake.notify_all();
    if (on_change) {
        on_change();
    }
    return std::nullopt;
}

void ApprovalDesk::answer_locked(Request& r, const std::string& status, std::int64_t now) {
    r.facts.status = status;
    r.facts.answered_at = now;
    if (r.verify) {
        queue_verify_webhooks(r);
    } else if (!m_callback_url.empty()) {
        m_deliveries.push_back(Delivery{r.facts.uuid, status, 0, 0});
        m_outbox.emplace_back(Outgoing{m_callback_url, authy::callback_body(r.facts), false, ""},
                              m_deliveries.size() - 1);
    }
}

// A Verify Push webhook (verify-v2.md §1.2) to each URL that takes the event.
void ApprovalDesk::queue_verify_webhooks(const Request& r) {
    const VerifyPushFacts& v = *r.verify;
    const std::string event = "challenge." + r.facts.status;
    json details = {{"message", r.facts.message},
                    {"date", verify::iso_date(r.facts.created_at)},
                    {"fields", json::array()}};
    for (const auto& [label, value] : r.facts.details) {
        details["fields"].push_back({{"label", label}, {"value", value}});
    }
    json hidden = json::object();
    for (const auto& [k, value] : r.facts.hidden_details) {
        hidden[k] = value;
    }
    verify::Form form{{"uuid", verify::new_sid("YW").substr(2)},
                      {"type", event},
                      {"account_sid", v.account_sid},
                      {"service_sid", v.service_sid},
                      {"entity_identity", v.identity},
                      {"factor_sid", v.factor_sid},
                      {"factor_type", "push"},
                      {"factor_friendly_name", v.factor_name},
                      {"challenge_sid", r.facts.uuid},
                      {"challenge_details", details.dump()},
                      {"challenge_hidden_details", hidden.dump()},
                      {"challenge_metadata", "{}"},
                      {"challenge_status", r.facts.status}};
    for (const auto& [url, events] : v.hooks) {
        bool wanted = false;
        for (const auto& e : events) {
            wanted = wanted || e == "*" || e == event;
        }
        if (wanted) {
            m_deliveries.push_back(Delivery{r.facts.uuid, r.facts.status, 0, 0});
            m_outbox.emplace_back(Outgoing{url, form_encode(form), true,
                                           verify::twilio_signature(m_token, url, form)},
                                  m_deliveries.size() - 1);
        }
    }
}

// The simulated phones: answer each pending request when its time comes, by scenario.
void ApprovalDesk::phone_loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        std::int64_t now = now_ms();
        std::int64_t next = now + 60'000;
        bool changed = false;
        for (auto& [uuid, r] : m_requests) {
            if (r.facts.status != "pending" || r.phone == PhoneScenario::never) {
                continue;
            }
            bool expired = r.facts.expires_at > 0 && now / 1000 >= r.facts.expires_at;
            if (!expired && r.answer_at_ms <= now) {
                answer_locked(r, r.phone == PhoneScenario::approve ? "approved" : "denied",
                              now / 1000);
                changed = true;
            } else if (!expired) {
                next = std::min(next, r.answer_at_ms);
            }
        }
        if (changed) {
            m_wake.notify_all();
            if (on_change) {
                lock.unlock();
                on_change();
                lock.lock();
            }
            continue;
        }
        m_wake.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(1, next - now)));
    }
}

void ApprovalDesk::sender_loop() {
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [&] { return m_stopping || !m_outbox.empty(); });
        if (m_stopping) {
            return;
        }
        auto [out, index] = m_outbox.front();
        m_outbox.pop_front();
        Delivery d = m_deliveries[index];
        lock.unlock();
        deliver(out, d);
        lock.lock();
        m_deliveries[index] = d;
    }
}

// POSTs a callback signed the way its provider signs it; up to 3 attempts (0.5 s, 1 s apart)
// until a 2xx answer.
void ApprovalDesk::deliver(const Outgoing& out, Delivery& d) {
    auto scheme_end = out.url.find("://");
    auto path_start = out.url.find('/', scheme_end + 3);
    std::string origin = out.url.substr(0, path_start);
    std::string path = path_start == std::string::npos ? "/" : out.url.substr(path_start);
    auto canonical =
        out.verify ? Result<std::string>(std::string()) : authy::canonical_json_params(out.body);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        httplib::Client client(origin);
        client.set_connection_timeout(2);
        client.set_read_timeout(5);
        client.enable_server_certificate_verification(false); // a loopback test listener
        httplib::Headers headers;
        if (out.verify) {
            headers = {{"X-Twilio-Signature", out.signature},
                       {"User-Agent", "TwilioProxy/1.1 (twofa-sandbox)"}};
        } else {
            std::string nonce = std::to_string(unix_now());
            headers = {{"X-Authy-Signature",
                        authy::sign_callback(m_key, nonce, get_callbacks ? "GET" : "POST", out.url,
                                             canonical.value())},
                       {"X-Authy-Signature-Nonce", nonce},
                       {"User-Agent", "twofa-sandbox (Authy callback)"}};
        }
        // The dashboard's GET option: the same parameters, flattened, in the query string
        // (spaces as %20: cpp-httplib would send a '+' as %2B).
        auto res =
            !out.verify && get_callbacks
                ? client.Get((path + "?" + plus_as_space(canonical.value())).c_str(), headers)
                : client.Post(path.c_str(), headers, out.body,
                              out.verify ? "application/x-www-form-urlencoded"
                                         : "application/json");
        d.attempts = attempt;
        d.http_status = res ? res->status : 0;
        if (res && res->status >= 200 && res->status < 300) {
            return;
        }
        std::unique_lock lock(m_mutex);
        if (m_wake.wait_for(lock, std::chrono::milliseconds(500 * attempt),
                            [&] { return m_stopping; })) {
            return;
        }
    }
}

json ApprovalDesk::callbacks() const {
    std::lock_guard lock(m_mutex);
    json arr = json::array();
    for (const auto& d : m_deliveries) {
        arr.push_back({{"uuid", d.uuid},
                       {"status", d.status},
                       {"attempts", d.attempts},
                       {"http_status", d.http_status}});
    }
    return arr;
}

} // namespace twofa::detail
