#include <twofa/session.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace twofa {

namespace {
constexpr std::array<std::pair<SessionState, std::string_view>, 8> k_names{{
    {SessionState::unverified, "unverified"},
    {SessionState::onetouch, "onetouch"},
    {SessionState::sms, "sms"},
    {SessionState::token, "token"},
    {SessionState::approved, "approved"},
    {SessionState::denied, "denied"},
    {SessionState::expired, "expired"},
    {SessionState::locked, "locked"},
}};
} // namespace

const char* to_string(SessionState state) noexcept {
    for (const auto& [s, name] : k_names) {
        if (s == state) {
            return name.data();
        }
    }
    return "unverified";
}

std::optional<SessionState> parse_state(std::string_view name) noexcept {
    for (const auto& [s, n] : k_names) {
        if (n == name) {
            return s;
        }
    }
    return std::nullopt;
}

bool is_pending(SessionState s) noexcept {
    return s == SessionState::onetouch || s == SessionState::sms || s == SessionState::token;
}

bool can_transition(SessionState from, SessionState to) noexcept {
    using S = SessionState;
    if (to == S::unverified) {
        return true; // logout ends any session
    }
    switch (from) {
    case S::onetouch:
        return to == S::approved || to == S::denied || to == S::expired || to == S::sms ||
               to == S::token;
    case S::sms:
    case S::token:
        return to == S::approved || to == S::denied || to == S::expired || to == S::locked ||
               (to != from && (to == S::sms || to == S::token));
    case S::approved:
        return to == S::expired;
    default:
        return false;
    }
}

Exit exit_for(SessionState s) noexcept {
    switch (s) {
    case SessionState::approved:
        return Exit::ok;
    case SessionState::onetouch:
    case SessionState::sms:
    case SessionState::token:
        return Exit::pending;
    case SessionState::denied:
        return Exit::denied;
    case SessionState::expired:
        return Exit::expired;
    case SessionState::locked:
        return Exit::locked;
    case SessionState::unverified:
        break;
    }
    return Exit::not_found;
}

namespace {

// 0 for the first `free` failures, then base, 2*base, ... capped at 15 minutes.
std::int64_t doubling(int failures, int free, std::int64_t base) noexcept {
    constexpr std::int64_t k_cap = std::int64_t{15} * 60;
    int over = failures - free;
    if (over <= 0) {
        return 0;
    }
    std::int64_t delay = base;
    for (int i = 1; i < over && delay < k_cap; ++i) {
        delay *= 2;
    }
    return std::min(delay, k_cap);
}

} // namespace

std::int64_t password_backoff(const ThrottlePolicy& p, int failures) noexcept {
    return doubling(failures, p.free_password_failures, p.password_base_delay);
}

std::int64_t code_backoff(const ThrottlePolicy& p, int failures) noexcept {
    return doubling(failures, p.max_code_attempts, p.code_base_delay);
}

bool password_locks(const ThrottlePolicy& p, int failures) noexcept {
    return failures >= p.lock_after_password_failures;
}

SendDecision may_send(const ThrottlePolicy& p, int sends, std::int64_t last_send_at,
                      std::int64_t now) noexcept {
    if (sends >= p.max_sends) {
        return {false, Exit::locked, -1};
    }
    if (sends > 0) {
        std::int64_t next = last_send_at + p.resend_interval;
        if (now < next) {
            return {false, Exit::locked, next - now};
        }
    }
    return {true, Exit::ok, 0};
}

int attempts_left(const ThrottlePolicy& p, int wrong) noexcept {
    return std::max(0, p.max_code_attempts - wrong);
}

} // namespace twofa
