#include <doctest/doctest.h>

#include <twofa/session.hpp>

#include <set>
#include <utility>

using namespace twofa;
using S = SessionState;

namespace {
const S k_all[] = {S::unverified, S::onetouch, S::sms,     S::token,
                   S::approved,   S::denied,   S::expired, S::locked};
} // namespace

TEST_CASE("state names round-trip") {
    for (S s : k_all) {
        CHECK(parse_state(to_string(s)) == s);
    }
    CHECK(!parse_state("call").has_value());
    CHECK(!parse_state("").has_value());
}

TEST_CASE("every transition is exactly as written down") {
    const std::set<std::pair<S, S>> allowed{
        {S::onetouch, S::approved}, {S::onetouch, S::denied}, {S::onetouch, S::expired},
        {S::onetouch, S::sms},      {S::onetouch, S::token},  {S::sms, S::approved},
        {S::sms, S::denied},        {S::sms, S::expired},     {S::sms, S::locked},
        {S::sms, S::token},         {S::token, S::approved},  {S::token, S::denied},
        {S::token, S::expired},     {S::token, S::locked},    {S::token, S::sms},
        {S::approved, S::expired},
    };
    for (S from : k_all) {
        for (S to : k_all) {
            CAPTURE(to_string(from));
            CAPTURE(to_string(to));
            bool want = to == S::unverified || allowed.count({from, to}) != 0U;
            CHECK(can_transition(from, to) == want);
        }
    }
}

TEST_CASE("final states stay final but for logout") {
    for (S final_state : {S::denied, S::expired, S::locked}) {
        CHECK(!can_transition(final_state, S::approved));
        CHECK(can_transition(final_state, S::unverified));
    }
    CHECK(!can_transition(S::unverified, S::approved));
}

TEST_CASE("exit codes follow the session's status") {
    CHECK(exit_for(S::approved) == Exit::ok);
    CHECK(exit_for(S::onetouch) == Exit::pending);
    CHECK(exit_for(S::sms) == Exit::pending);
    CHECK(exit_for(S::token) == Exit::pending);
    CHECK(exit_for(S::denied) == Exit::denied);
    CHECK(exit_for(S::expired) == Exit::expired);
    CHECK(exit_for(S::locked) == Exit::locked);
    CHECK(exit_for(S::unverified) == Exit::not_found);
    for (S s : k_all) {
        CHECK(is_pending(s) == (exit_for(s) == Exit::pending));
    }
}

TEST_CASE("password back-off doubles after the free failures, then locks") {
    ThrottlePolicy p;
    CHECK(password_backoff(p, 0) == 0);
    CHECK(password_backoff(p, 2) == 0);
    CHECK(password_backoff(p, 3) == 1);
    CHECK(password_backoff(p, 4) == 2);
    CHECK(password_backoff(p, 5) == 4);
    CHECK(password_backoff(p, 9) == 64);
    CHECK(password_backoff(p, 1000) == 15 * 60);
    CHECK(code_backoff(p, 5) == 0); // one session's worth of wrong codes is free
    CHECK(code_backoff(p, 6) == 1);
    CHECK(code_backoff(p, 8) == 4);
    CHECK(code_backoff(p, 1000) == 15 * 60);
    CHECK(!password_locks(p, 9));
    CHECK(password_locks(p, 10));
}

TEST_CASE("resends: one per 30 s, five per session (fake clock)") {
    ThrottlePolicy p;
    const std::int64_t t0 = 1'700'000'000;
    CHECK(may_send(p, 0, 0, t0).allowed);
    auto early = may_send(p, 1, t0, t0 + 10);
    CHECK(!early.allowed);
    CHECK(early.refusal == Exit::locked);
    CHECK(early.wait == 20);
    CHECK(!may_send(p, 1, t0, t0 + 29).allowed);
    CHECK(may_send(p, 1, t0, t0 + 30).allowed);
    CHECK(may_send(p, 4, t0, t0 + 30).allowed);
    auto spent = may_send(p, 5, t0, t0 + 3600);
    CHECK(!spent.allowed);
    CHECK(spent.wait == -1);
}

TEST_CASE("five wrong codes leave no attempts") {
    ThrottlePolicy p;
    CHECK(attempts_left(p, 0) == 5);
    CHECK(attempts_left(p, 4) == 1);
    CHECK(attempts_left(p, 5) == 0);
    CHECK(attempts_left(p, 9) == 0);
}
