#include "core/session_ops.hpp"

#include <twofa/time_text.hpp>
#include <twofa/validate.hpp>

#include <unistd.h>

namespace twofa::detail {

Result<std::string> session_hash(const std::string& session_id) {
    TRY(validate_session_id(session_id));
    return hash_session_id(session_id);
}

Status SessionOps::audit(const char* event, const std::string& email, const std::string& id_hash,
                         const std::string& outcome, const std::string& detail) {
    return store.audit({now, event, email, id_hash, outcome, detail});
}

Result<Loaded> SessionOps::load(const std::string& id_hash, bool expire) {
    TRY_ASSIGN(Loaded loaded, peek(id_hash));
    if (expire) {
        TRY(expire_if_due(loaded));
    }
    TRY(lapse_leases(loaded));
    return loaded;
}

bool SessionOps::due_for_change(const Loaded& loaded) const {
    const SessionRecord& s = loaded.session;
    bool expires =
        (is_pending(s.status) || s.status == SessionState::approved) && now >= s.expires_at;
    return expires || (s.checks_in_flight > 0 && now >= s.lease_until);
}

Result<Loaded> SessionOps::peek(const std::string& id_hash) {
    TRY_ASSIGN(auto session, store.find_session(id_hash));
    if (!session) {
        return cause(make_error(Exit::not_found, "no such login session",
                                "log in again, or check which session is meant"),
                     Cause::no_such_session);
    }
    TRY_ASSIGN(auto user, store.find_user_by_id(session->user_id));
    if (!user) { // the foreign key cascades, so this is a bug
        return make_error(Exit::internal, "the session's user is missing",
                          "please report this bug");
    }
    return Loaded{*session, *user, std::nullopt};
}

Status SessionOps::lapse_leases(Loaded& loaded) {
    auto& s = loaded.session;
    if (s.checks_in_flight <= 0 || now < s.lease_until) {
        return {};
    }
    s.attempts = std::max(0, s.attempts - s.checks_in_flight);
    s.checks_in_flight = 0;
    s.updated_at = now;
    TRY(store.update_session(s));
    return audit("code.check", loaded.user.email, s.id_hash, "lapsed",
                 "a check got no answer before its lease ended; attempt given back");
}

std::optional<Error> SessionOps::user_refusal(const UserRecord& user) const {
    if (user.code_locked_until >= k_locked_for_good) {
        return cause(make_error(Exit::locked,
                                "the second factor is locked after too many wrong codes across "
                                "logins",
                                "an administrator must unlock " + user.email),
                     Cause::user_locked, user.email);
    }
    if (user.code_locked_until > now) {
        return make_error(Exit::locked, "too many wrong codes",
                          "wait " + std::to_string(user.code_locked_until - now) +
                              " s and try again");
    }
    return std::nullopt;
}

Result<bool> SessionOps::count_code_failure(std::int64_t user_id, const std::string& id_hash) {
    TRY_ASSIGN(auto user, store.find_user_by_id(user_id));
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
        u.status = SessionState::locked;
    } else if (auto wait = code_backoff(policy.throttle, u.code_failures); wait > 0) {
        u.code_locked_until = now + wait;
    }
    TRY(store.update_user(u));
    if (locks) {
        TRY(audit("code.lock", u.email, id_hash, "locked",
                  std::to_string(u.code_failures) + " wrong codes in a row"));
    }
    return locks;
}

Result<bool> SessionOps::expire_if_due(Loaded& loaded) {
    auto state = loaded.session.status;
    if ((!is_pending(state) && state != SessionState::approved) ||
        now < loaded.session.expires_at) {
        return false;
    }
    TRY(change(loaded, SessionState::expired));
    TRY(audit("session.expire", loaded.user.email, loaded.session.id_hash, "expired",
              "was " + std::string(to_string(state))));
    return true;
}

Status SessionOps::change(Loaded& loaded, SessionState to, bool factor_shown) {
    TRY(move_to(loaded, to));
    TRY(store.update_session(loaded.session));
    return after_change(loaded, to, factor_shown);
}

Status SessionOps::change_state(Loaded& loaded, SessionState to) {
    TRY(move_to(loaded, to));
    TRY(store.update_session_state(loaded.session));
    return after_change(loaded, to, true);
}

Status SessionOps::move_to(Loaded& loaded, SessionState to) const {
    auto from = loaded.session.status;
    if (!can_transition(from, to)) {
        return make_error(Exit::internal,
                          std::string("login session cannot go from ") + to_string(from) + " to " +
                              to_string(to),
                          "please report this bug");
    }
    loaded.session.status = to;
    loaded.session.updated_at = now;
    if (to == SessionState::approved) {
        loaded.session.expires_at = now + policy.approved_ttl;
    }
    return {};
}

Status SessionOps::after_change(Loaded& loaded, SessionState to, bool factor_shown) {
    TRY_ASSIGN(loaded.user,
               mirror(std::move(loaded.user), loaded.session, loaded.latest_session_id));
    if (to == SessionState::approved && factor_shown && loaded.user.code_failures > 0) {
        // The second factor was shown: the count of wrong codes starts again.
        loaded.user.code_failures = 0;
        loaded.user.code_locked_until = 0;
        TRY(store.update_user(loaded.user));
    }
    return {};
}

Result<UserRecord> SessionOps::mirror(std::int64_t user_id, const SessionRecord& session) {
    TRY_ASSIGN(auto user, store.find_user_by_id(user_id));
    if (!user) {
        return make_error(Exit::not_found, "the user no longer exists",
                          "an administrator may have removed it");
    }
    return mirror(std::move(*user), session);
}

Result<UserRecord> SessionOps::mirror(UserRecord user, const SessionRecord& session,
                                      std::optional<std::int64_t> latest_id) {
    if (!latest_id) {
        TRY_ASSIGN(auto latest, store.latest_session(user.id));
        latest_id = latest ? latest->id : 0;
    }
    if (*latest_id == session.id && user.status != session.status) {
        user.status = session.status;
        user.updated_at = now;
        TRY(store.update_user_status(user));
    }
    return user;
}

Error SessionOps::refusal_for(SessionState state) const {
    switch (state) {
    case SessionState::denied:
        return cause(make_error(Exit::denied, "this login was denied", "log in again"),
                     Cause::login_over);
    case SessionState::expired:
        return cause(make_error(Exit::expired, "this login has expired", "log in again"),
                     Cause::login_over);
    case SessionState::locked:
        return cause(make_error(Exit::locked, "this login is locked after too many wrong codes",
                                "log in again"),
                     Cause::login_over);
    default:
        return cause(make_error(Exit::not_found, "this login session has ended (logged out)",
                                "log in again"),
                     Cause::login_over);
    }
}

SessionView SessionOps::view_of(SessionView view) const {
    view.state = view.record.status;
    view.attempts_left = attempts_left(policy.throttle, view.record.attempts);
    return view;
}

SessionView SessionOps::view_of(const Loaded& loaded) const {
    SessionView view;
    view.record = loaded.session;
    view.user = loaded.user;
    return view_of(std::move(view));
}

Channel code_channel(Via via) {
    return via == Via::call ? Channel::call : via == Via::email ? Channel::email : Channel::sms;
}

Recipient recipient_of(const UserRecord& user, const std::string& provider_user) {
    return Recipient{provider_user.empty() ? user.provider_user : provider_user, user.country_code,
                     user.phone, user.email};
}

Result<std::string> SessionOps::send_code(const ProviderGetter& provider, const UserRecord& user,
                                          Channel channel) {
    TRY_ASSIGN(SecondFactor * p, provider(user.provider));
    if (!p->info().offers(channel)) {
        return make_error(Exit::usage,
                          p->info().display + " sends no codes by " + to_string(channel),
                          "choose sms or call");
    }
    TRY(p->start(recipient_of(user), channel, {}));
    return channel == Channel::email ? mask_email(user.email)
                                     : mask_phone(user.country_code, user.phone);
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
                                        Via via, SessionRecord& s, const PushDetails& extra) {
    s.expires_at = now + policy.pending_ttl;
    s.provider = user.provider;
    s.provider_user = user.provider_user;
    s.method = Channel::sms; // what failmode = safe records when the provider cannot be asked
    TRY_ASSIGN(SecondFactor * p, provider(user.provider));
    const ProviderInfo& info = p->info();
    if (via == Via::automatic && !info.offers(Channel::sms)) {
        via = Via::token; // nothing to send: the code is in the app
    } else if (via == Via::automatic) {
        TRY_ASSIGN(DeviceInfo d, p->devices(user.provider_user));
        via = d.has_app && info.offers(Channel::push) ? Via::onetouch : Via::sms;
    }
    switch (via) {
    case Via::onetouch: {
        s.method = Channel::push;
        s.status = SessionState::onetouch;
        PushRequest req;
        req.message = policy.push_message;
        req.details = {{"Email", user.email},
                       {"Host", host_name()},
                       {"Time", utc_text(now, "%Y-%m-%d %H:%M:%S UTC")}};
        req.details.insert(req.details.end(), extra.begin(), extra.end());
        req.hidden_details = {{"session", s.id_hash.substr(0, 16)}};
        req.seconds_to_expire = policy.push_seconds;
        TRY_ASSIGN(Challenge c, p->start(recipient_of(user), Channel::push, req));
        s.challenge = std::move(c.handle);
        s.expires_at = now + policy.push_seconds;
        return std::string();
    }
    case Via::token:
        s.method = Channel::app_code;
        s.status = SessionState::token;
        TRY(p->start(recipient_of(user), Channel::app_code, {})); // nothing sent
        return std::string();
    default: {
        s.method = code_channel(via);
        s.status = SessionState::sms;
        TRY_ASSIGN(std::string sent_to, send_code(provider, user, s.method));
        s.sends = 1;
        s.last_send_at = now;
        return sent_to;
    }
    }
}

Result<CallbackOutcome> SessionOps::apply_callback(const PushResult& r) {
    CallbackOutcome outcome = CallbackOutcome::unknown;
    Loaded loaded;
    std::optional<Store::PushTarget> target;
    if (r.test) {
        outcome = CallbackOutcome::test;
    } else {
        // Only the provider that started a challenge can answer it.
        TRY_ASSIGN(target, store.find_push_target(r.provider, r.handle));
    }
    if (target) {
        const bool user_found = target->user.has_value();
        loaded = Loaded{std::move(target->session), std::move(target->user).value_or(UserRecord{}),
                        target->latest_session_id};
        if (!user_found || loaded.session.provider_user != r.user) {
            outcome = CallbackOutcome::mismatch;
        } else {
            TRY(expire_if_due(loaded));
            auto state = loaded.session.status;
            auto to =
                r.state == PushState::approved ? SessionState::approved : SessionState::denied;
            if (to == SessionState::approved && user_refusal(loaded.user)) {
                to = SessionState::denied; // the user's lock holds for pushes too
            }
            if (state == SessionState::onetouch) {
                TRY(change_state(loaded, to));
                outcome = CallbackOutcome::applied;
            } else {
                outcome = state == to ? CallbackOutcome::repeat : CallbackOutcome::not_pending;
            }
        }
    }
    TRY(audit("onetouch.callback", loaded.user.email, loaded.session.id_hash, to_string(outcome),
              r.describe()));
    return outcome;
}

bool SessionOps::may_fail_open(const Error& error) const {
    return policy.failmode_safe && error.unreachable;
}

Status SessionOps::undo(const std::string& id_hash, const char* event, const Error& why,
                        const std::function<bool(SessionRecord&)>& revert) {
    return store.transaction([&]() -> Status {
        TRY_ASSIGN(auto s, store.find_session(id_hash));
        if (!s) {
            return {};
        }
        TRY_ASSIGN(auto u, store.find_user_by_id(s->user_id));
        if (revert(*s)) {
            s->updated_at = now;
            TRY(store.update_session(*s));
            if (u) { // (a session goes with its user: one is always there)
                TRY_ASSIGN(*u, mirror(std::move(*u), *s));
            }
        }
        return audit(event, u ? u->email : "", id_hash, "failed", why.message);
    });
}

Status SessionOps::release_attempt(const std::string& id_hash, const Error& why) {
    return undo(id_hash, "code.check", why, [](SessionRecord& s) {
        if (s.attempts <= 0 || s.checks_in_flight <= 0 || !is_pending(s.status)) {
            return false; // its lease lapsed already, or the session moved on
        }
        s.attempts -= 1;
        s.checks_in_flight -= 1;
        return true;
    });
}

Status SessionOps::restore_send(const std::string& id_hash, const SessionRecord& before,
                                const Error& why) {
    return undo(id_hash, "code.send", why, [&](SessionRecord& s) {
        if (s.sends != before.sends + 1 || s.status != SessionState::sms) {
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
