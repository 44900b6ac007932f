// The interactive login (see login_flow.hpp).
#include <twofa/login_flow.hpp>
#include <twofa/validate.hpp>

#include <poll.h>

#include <optional>

namespace twofa {

LoginFlow::LoginFlow(Logins& logins, Prompter& prompter, FlowOptions options, Clock clock)
    : m_logins(logins), m_prompter(prompter), m_options(std::move(options)),
      m_clock(std::move(clock)) {}

Result<SessionView> LoginFlow::run(const std::string& email) {
    TRY_ASSIGN(UserRecord user, authenticate(email));
    TRY_ASSIGN(SessionView view, begin(user));
    return finish(user, view);
}

Result<UserRecord> LoginFlow::authenticate(const std::string& email) {
    TRY_ASSIGN(std::string password, m_prompter.password(email));
    return m_logins.check_password(email, password);
}

Status LoginFlow::started(const SessionView& view) {
    if (m_options.on_session) {
        TRY(m_options.on_session(view));
    }
    announce(view);
    return {};
}

void LoginFlow::announce(const SessionView& view) {
    if (view.failed_open) {
        m_prompter.notice({Notice::factor_skipped, view, {}});
    } else if (!view.sent_to.empty()) {
        m_prompter.notice(
            {view.record.method == Channel::call ? Notice::calling : Notice::code_sent, view, {}});
    } else if (view.state == SessionState::token) {
        m_prompter.notice({Notice::app_code, view, {}});
    } else if (view.state == SessionState::onetouch) {
        m_prompter.notice({Notice::push_sent, view, {}});
    }
}

Result<SessionView> LoginFlow::begin(const UserRecord& user) {
    TRY_ASSIGN(SessionView view, m_logins.start(user, m_options.via, m_options.push_details));
    TRY(started(view));
    return view;
}

std::int64_t LoginFlow::limit_for(const SessionView& view) const {
    return m_options.wait_limit > 0 ? m_options.wait_limit : view.record.expires_at - m_clock();
}

Result<SessionView> LoginFlow::finish(const UserRecord& user, const SessionView& view) {
    if (view.state == SessionState::approved) {
        return view;
    }
    if (view.state == SessionState::onetouch) {
        return push(user, view);
    }
    return codes(view);
}

Result<SessionView> LoginFlow::push(const UserRecord& user, const SessionView& started_view) {
    SessionView view = started_view;
    TRY_ASSIGN(PushEnd end, wait_for_push(started_view.id, view));
    if (end == PushEnd::limit_reached) {
        return cause(make_error(Exit::expired, "no answer from the phone within the wait limit",
                                "the request stays open until it expires"),
                     Cause::push_open);
    }
    if (end == PushEnd::use_code) {
        TRY_ASSIGN(SessionView switched, m_logins.switch_to_code(started_view.id, Via::sms));
        switched.id = started_view.id;
        announce(switched); // the same session: nothing new to persist
        return codes(switched);
    }
    view.id = started_view.id;
    if (view.state == SessionState::approved) {
        return view;
    }
    bool denied = view.state == SessionState::denied;
    if (m_options.via == Via::onetouch) {
        return denied ? make_error(Exit::denied, "the request was denied on the phone",
                                   "log in again, or ask for a code by SMS")
                      : make_error(Exit::expired, "the request expired unanswered",
                                   "log in again, or ask for a code by SMS");
    }
    m_prompter.notice({denied ? Notice::push_denied : Notice::push_expired, view, {}});
    TRY_ASSIGN(SessionView fallback, m_logins.start(user, Via::sms));
    TRY(started(fallback));
    return codes(fallback);
}

namespace {

// How long a waiting login rides out an unreachable store (a database restart) before it
// fails with the store's error.
constexpr std::chrono::seconds k_store_outage_grace{15};

// Since when the store has been unreachable, if it is. (Not an optional: GCC at -O2 took its
// empty payload for a read of an uninitialised value.)
struct StoreOutage {
    bool down = false;
    std::chrono::steady_clock::time_point since{};
};

// The session, or nullopt while the store has been unreachable for less than the grace.
template <class Peek>
Result<std::optional<SessionView>> peek_through_outage(Peek&& peek, StoreOutage& outage) {
    auto now = std::chrono::steady_clock::now();
    Result<SessionView> r = peek();
    if (!r.ok() && r.error().code == Exit::store) {
        if (!outage.down) {
            outage = {true, now};
        }
        if (now - outage.since < k_store_outage_grace) {
            return std::optional<SessionView>();
        }
    }
    outage.down = false;
    TRY_ASSIGN(SessionView v, std::move(r));
    return std::optional<SessionView>(std::move(v));
}

// Takes the waiting line down however the wait ends.
struct ClearWaiting {
    Prompter& p;
    ~ClearWaiting() { p.waiting_done(); }
};

} // namespace

Result<LoginFlow::PushEnd> LoginFlow::wait_for_push(const std::string& id, SessionView& view) {
    using steady = std::chrono::steady_clock;
    // A missing feed is not fatal: the provider poll still answers, only later.
    auto feed = m_logins.watch_changes();
    const int switch_fd = m_prompter.switch_fd();
    const std::int64_t limit_at = m_clock() + limit_for(view);
    auto next_remote = steady::now() + m_options.provider_poll;
    bool remote_failed = false;
    ClearWaiting clear{m_prompter};
    StoreOutage store_outage;
    while (true) {
        TRY_ASSIGN(std::optional<SessionView> peeked,
                   peek_through_outage([&] { return m_logins.peek(id); }, store_outage));
        if (!peeked) {
            ::poll(nullptr, 0, static_cast<int>(m_options.frame.count()));
            continue;
        }
        SessionView& v = *peeked;
        const std::int64_t now = m_clock();
        if (v.state != SessionState::onetouch || now >= v.record.expires_at) {
            if (v.state == SessionState::onetouch) {
                // Past the expiry: the provider has the last word (failing that, it expires).
                (void)m_logins.refresh_approval(id);
            }
            TRY_ASSIGN(view, m_logins.status(id));
            return PushEnd::answered;
        }
        if (now >= limit_at) {
            view = v;
            return PushEnd::limit_reached;
        }
        if (steady::now() >= next_remote) {
            auto remote = m_logins.refresh_approval(id);
            if (!remote.ok() && !remote_failed) {
                remote_failed = true; // keep waiting for the callback; say it once
                m_prompter.notice({Notice::provider_poll_failed, v, remote.error().text()});
            }
            next_remote = steady::now() + m_options.provider_poll;
            continue;
        }
        m_prompter.waiting(std::min(v.record.expires_at, limit_at) - now, switch_fd >= 0);
        // Asked each round: a feed whose connection dropped has none until it reconnects.
        const int feed_fd = feed.ok() ? (*feed)->fd() : -1;
        pollfd fds[2] = {{feed_fd, POLLIN, 0}, {switch_fd, POLLIN, 0}};
        auto until_remote =
            std::chrono::duration_cast<std::chrono::milliseconds>(next_remote - steady::now());
        auto wait = std::min(feed_fd < 0 ? std::chrono::milliseconds(50) : m_options.frame,
                             std::max(until_remote, std::chrono::milliseconds(0)));
        if (::poll(fds, 2, static_cast<int>(wait.count())) > 0) {
            if ((fds[1].revents & POLLIN) != 0 && m_prompter.switch_requested()) {
                view = v;
                return PushEnd::use_code;
            }
            if ((fds[0].revents & POLLIN) != 0) {
                (*feed)->drain();
            }
        }
    }
}

Result<SessionView> LoginFlow::codes(const SessionView& started_view) {
    const std::int64_t limit_at = m_clock() + limit_for(started_view);
    // A check the store or the provider could not make (down for a moment, busy): the user
    // may type the code again. If no further code comes (the prompts run out, or a script's
    // input ends), the login ends with that check's error, not with the prompt's.
    std::optional<Error> unchecked;
    for (int prompt = 1; prompt <= m_options.code_prompts; ++prompt) {
        auto typed = m_prompter.code(limit_at - m_clock());
        if (!typed.ok()) {
            return unchecked && typed.error().code == Exit::usage ? *unchecked : typed.error();
        }
        const std::string& code = *typed;
        if (!validate_code(code).ok()) {
            m_prompter.notice({Notice::bad_code_format, started_view, {}});
            continue;
        }
        auto checked = m_logins.verify(started_view.id, code);
        if (!checked.ok() &&
            (checked.error().code == Exit::store || checked.error().code == Exit::unavailable)) {
            unchecked = checked.error();
            if (prompt < m_options.code_prompts) {
                m_prompter.notice({Notice::code_not_checked, started_view, unchecked->message});
            }
            continue;
        }
        unchecked.reset();
        TRY_ASSIGN(CodeCheck check, std::move(checked));
        check.view.id = started_view.id;
        if (check.view.failed_open) {
            m_prompter.notice({Notice::factor_skipped, check.view, {}});
        }
        if (check.accepted && check.recovery) {
            m_prompter.notice({Notice::recovery_used, check.view, {}});
        }
        if (check.accepted || check.view.failed_open) {
            return check.view;
        }
        if (check.user_locked) {
            return cause(make_error(Exit::locked,
                                    "wrong code; too many wrong codes across logins locked the "
                                    "second factor",
                                    "an administrator must unlock " + check.view.user.email),
                         Cause::user_locked, check.view.user.email);
        }
        if (check.view.state == SessionState::locked) {
            return cause(
                make_error(Exit::locked, "wrong code; this login is now locked", "log in again"),
                Cause::login_over);
        }
        m_prompter.notice(
            {check.reused ? Notice::code_reused : Notice::wrong_code, check.view, {}});
    }
    if (unchecked) {
        return *unchecked;
    }
    return cause(make_error(Exit::denied, "wrong code", "try again, or ask for a new code"),
                 Cause::codes_used);
}

} // namespace twofa
