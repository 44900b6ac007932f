#include "core/session_ops.hpp"

#include <twofa/time_text.hpp>
#include <twofa/validate.hpp>

#include <unistd.h>

namespace twofa::detail {

Loaded SessionOps::load(const std::string& id_hash) {
    auto session = must(store.find_session(id_hash));
    if (!session) {
        throw Failure(make_error(Exit::not_found, "no such login session",
                                 "log in with twofa login, or check --session / TWOFA_SESSION"));
    }
    auto user = must(store.find_user_by_id(session->user_id));
    if (!user) { // the foreign key cascades, so this is a bug
        throw Failure(
            make_error(Exit::internal, "the session's user is missing", "please report this bug"));
    }
    Loaded loaded{*session, *user};
    expire_if_due(loaded);
    lapse_leases(loaded);
    return loaded;
}

bool SessionOps::lapse_leases(Loaded& loaded) {
    auto& s = loaded.session;
    if (s.checks_in_flight <= 0 || now < s.lease_until) {
        return false;
    }
    s.attempts = std::max(0, s.attempts - s.checks_in_flight);
    s.checks_in_flight = 0;
    s.updated_at = now;
    must(store.update_session(s));
    must(store.audit({now, "code.check", loaded.user.email, s.id_hash, "lapsed",
                      "a check got no answer before its lease ended; attempt given back"}));
    return true;
}

std::optional<Error> SessionOps::user_refusal(const UserRecord& user) const {
    if (user.code_locked_until >= k_locked_for_good) {
        return make_error(Exit::locked,
                          "the second factor is locked after too many wrong codes across logins",
                          "ask an administrator to run: twofa user unlock " + user.email);
    }
    if (user.code_locked_until > now) {
        return make_error(Exit::locked, "too many wrong codes",
                          "wait " + std::to_string(user.code_locked_until - now) +
                              " s and try again");
    }
    return std::nullopt;
}

bool SessionOps::count_code_failure(std::int64_t user_id, const std::string& id_hash) {
    auto user = must(store.find_user_by_id(user_id));
    if (!user) {
        return false;
    }
    UserRecord& u = *user;
    u.code_failures += 1;
    u.updated_at = now;
    bool locks = u.code_failures >= policy.throttle.user_code_failures;
    if (locks) {
        u.code_locked_until = policy.throttle.user_lock_seconds > 0
                                  ? now + policy.throttle.user_lock_seconds
                                  : k_locked_for_good;
        u.status = to_string(SessionState::locked);
    } else if (auto wait = code_backoff(policy.throttle, u.code_failures); wait > 0) {
        u.code_locked_until = now + wait;
    }
    must(store.update_user(u));
    if (locks) {
        must(store.audit({now, "code.lock", u.email, id_hash, "locked",
                          std::to_string(u.code_failures) + " wrong codes in a row"}));
    }
    return locks;
}

bool SessionOps::expire_if_due(Loaded& loaded) {
    auto state = parse_state(loaded.session.status).value_or(SessionState::unverified);
    if ((!is_pending(state) && state != SessionState::approved) ||
        now < loaded.session.expires_at) {
        return false;
    }
    change(loaded, SessionState::expired);
    must(store.audit({now, "session.expire", loaded.user.email, loaded.session.id_hash, "expired",
                      "was " + std::string(to_string(state))}));
    return true;
}

void SessionOps::change(Loaded& loaded, SessionState to, bool factor_shown) {
    auto from = parse_state(loaded.session.status).value_or(SessionState::unverified);
    if (!can_transition(from, to)) {
        throw Failure(make_error(Exit::internal,
                                 std::string("login session cannot go from ") + to_string(from) +
                                     " to " + to_string(to),
                                 "please report this bug"));
    }
    loaded.session.status = to_string(to);
    loaded.session.updated_at = now;
    if (to == SessionState::approved) {
        loaded.session.expires_at = now + policy.approved_ttl;
    }
    must(store.update_session(loaded.session));
    loaded.user = mirror(loaded.user.id, loaded.session);
    if (to == SessionState::approved && factor_shown && loaded.user.code_failures > 0) {
        // The second factor was shown: the count of wrong codes starts again.
        loaded.user.code_failures = 0;
        loaded.user.code_locked_until = 0;
        must(store.update_user(loaded.user));
    }
}

UserRecord SessionOps::mirror(std::int64_t user_id, const SessionRecord& session) {
    auto user = must(store.find_user_by_id(user_id));
    if (!user) {
        throw Failure(
            make_error(Exit::not_found, "the user no longer exists", "run twofa user list"));
    }
    auto latest = must(store.latest_session(user_id));
    if (latest && latest->id == session.id && user->status != session.status) {
        user->status = session.status;
        user->updated_at = now;
        must(store.update_user(*user));
    }
    return *user;
}

Error SessionOps::refusal_for(SessionState state) const {
    switch (state) {
    case SessionState::denied:
        return make_error(Exit::denied, "this login was denied", "log in again with twofa login");
    case SessionState::expired:
        return make_error(Exit::expired, "this login has expired", "log in again with twofa login");
    case SessionState::locked:
        return make_error(Exit::locked, "this login is locked after too many wrong codes",
                          "log in again with twofa login");
    default:
        return make_error(Exit::not_found, "this login session has ended (logged out)",
                          "log in again with twofa login");
    }
}

SessionView SessionOps::view_of(SessionView view) const {
    view.state = parse_state(view.record.status).value_or(SessionState::unverified);
    view.attempts_left = attempts_left(policy.throttle, view.record.attempts);
    return view;
}

SessionView SessionOps::view_of(const Loaded& loaded) const {
    SessionView view;
    view.record = loaded.session;
    view.user = loaded.user;
    return view_of(std::move(view));
}

Result<std::string> SessionOps::send_code(const ProviderGetter& provider, const UserRecord& user,
                                          bool voice) {
    auto client = provider();
    if (!client.ok()) {
        return client.error();
    }
    auto sent = (*client)->request_code(user.authy_id, voice);
    if (!sent.ok()) {
        return sent.error();
    }
    if (sent->ignored) {
        return make_error(Exit::rejected,
                          "Authy did not send the code (it says the user has the app)",
                          "use --via token and type the code from the Authy app");
    }
    return mask_phone(user.country_code, user.phone);
}

namespace {

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) {
        return "unknown";
    }
    return strip_control(buf);
}

} // namespace

Result<std::string> SessionOps::deliver(const ProviderGetter& provider, const UserRecord& user,
                                        Via via, SessionRecord& s) {
    s.expires_at = now + policy.pending_ttl;
    if (via == Via::automatic) {
        auto client = provider();
        if (!client.ok()) {
            return client.error();
        }
        auto status = (*client)->user_status(user.authy_id);
        if (!status.ok()) {
            s.method = "sms";
            return status.error();
        }
        via = status->registered ? Via::onetouch : Via::sms;
    }
    switch (via) {
    case Via::onetouch: {
        s.method = "onetouch";
        s.status = to_string(SessionState::onetouch);
        auto client = provider();
        if (!client.ok()) {
            return client.error();
        }
        authy::ApprovalRequest req;
        req.message = policy.onetouch_message;
        req.details = {{"Email", user.email},
                       {"Host", host_name()},
                       {"Time", utc_text(now, "%Y-%m-%d %H:%M:%S UTC")}};
        req.hidden_details = {{"session", s.id_hash.substr(0, 16)}};
        req.seconds_to_expire = policy.onetouch_seconds;
        auto uuid = (*client)->create_approval_request(user.authy_id, req);
        if (!uuid.ok()) {
            return uuid.error();
        }
        s.approval_uuid = *uuid;
        s.expires_at = now + policy.onetouch_seconds;
        return std::string();
    }
    case Via::token:
        s.method = "token";
        s.status = to_string(SessionState::token);
        return std::string();
    default: {
        bool voice = via == Via::call;
        s.method = voice ? "call" : "sms";
        s.status = to_string(SessionState::sms);
        auto sent = send_code(provider, user, voice);
        if (sent.ok()) {
            s.sends = 1;
            s.last_send_at = now;
        }
        return sent;
    }
    }
}

CallbackOutcome SessionOps::apply_callback(const authy::Callback& cb) {
    constexpr std::int64_t k_dashboard_test_id = 1234;
    CallbackOutcome outcome = CallbackOutcome::unknown;
    Loaded loaded;
    std::optional<SessionRecord> session;
    if (cb.authy_id == k_dashboard_test_id) {
        outcome = CallbackOutcome::test;
    } else if ((session = must(store.find_session_by_uuid(cb.uuid)))) {
        auto user = must(store.find_user_by_id(session->user_id));
        loaded = Loaded{*session, user.value_or(UserRecord{})};
        if (!user || user->authy_id != cb.authy_id) {
            outcome = CallbackOutcome::mismatch;
        } else {
            expire_if_due(loaded);
            auto state = parse_state(loaded.session.status).value_or(SessionState::unverified);
            auto to = cb.status == "approved" ? SessionState::approved : SessionState::denied;
            if (to == SessionState::approved && user_refusal(loaded.user)) {
                to = SessionState::denied; // the user's lock holds for pushes too
            }
            if (state == SessionState::onetouch) {
                change(loaded, to);
                outcome = CallbackOutcome::applied;
            } else {
                outcome = state == to ? CallbackOutcome::repeat : CallbackOutcome::not_pending;
            }
        }
    }
    must(store.audit(
        {now, "onetouch.callback", loaded.user.email, loaded.session.id_hash, to_string(outcome),
         cb.status + " uuid=" + cb.uuid + " authy_id=" + std::to_string(cb.authy_id)}));
    return outcome;
}

Result<authy::TokenVerdict> SessionOps::provider_verify(const ProviderGetter& provider,
                                                        const UserRecord& user,
                                                        const std::string& code) {
    auto client = provider();
    if (!client.ok()) {
        return client.error();
    }
    return (*client)->verify_code(user.authy_id, code);
}

bool SessionOps::may_fail_open(const Error& error) const {
    return policy.failmode_safe && error.unreachable;
}

void SessionOps::undo(const std::string& id_hash, const char* event, const Error& why,
                      const std::function<bool(SessionRecord&)>& revert) {
    must(store.transaction([&]() -> Status {
        auto s = must(store.find_session(id_hash));
        if (!s) {
            return {};
        }
        if (revert(*s)) {
            s->updated_at = now;
            must(store.update_session(*s));
            mirror(s->user_id, *s);
        }
        auto u = must(store.find_user_by_id(s->user_id));
        return store.audit({now, event, u ? u->email : "", id_hash, "failed", why.message});
    }));
}

void SessionOps::release_attempt(const std::string& id_hash, const Error& why) {
    undo(id_hash, "code.check", why, [](SessionRecord& s) {
        if (s.attempts <= 0 || s.checks_in_flight <= 0 ||
            !is_pending(parse_state(s.status).value_or(SessionState::unverified))) {
            return false; // its lease lapsed already, or the session moved on
        }
        s.attempts -= 1;
        s.checks_in_flight -= 1;
        return true;
    });
}

void SessionOps::restore_send(const std::string& id_hash, const SessionRecord& before,
                              const Error& why) {
    undo(id_hash, "code.send", why, [&](SessionRecord& s) {
        if (s.sends != before.sends + 1 || s.status != to_string(SessionState::sms)) {
            return false; // something else happened since: leave it
        }
        s.sends = before.sends;
        s.last_send_at = before.last_send_at;
        s.method = before.method;
        s.status = before.status;
        return true;
    });
}

} // namespace twofa::detail
