// Gated Unix logins (see gate.hpp).
#include <twofa/gate.hpp>
#include <twofa/validate.hpp>

#include <array>

namespace twofa {

namespace {
constexpr std::array<const char*, 7> k_verdicts{"allowed", "ignored", "unknown",    "denied",
                                                "expired", "locked",  "unavailable"};

GateVerdict verdict_of(const Error& e) {
    switch (e.code) {
    case Exit::denied:
        return GateVerdict::denied;
    case Exit::expired:
        return GateVerdict::expired;
    case Exit::locked:
        return GateVerdict::locked;
    default:
        return GateVerdict::unavailable;
    }
}
} // namespace

const char* to_string(GateVerdict verdict) noexcept {
    return k_verdicts[static_cast<std::size_t>(verdict)];
}

Gate::Gate(Logins& logins, Store& store, GateOptions options, Clock clock)
    : m_logins(logins), m_store(store), m_options(std::move(options)), m_clock(std::move(clock)) {}

Result<std::optional<UserRecord>> Gate::guard_of(const std::string& unix_user) {
    TRY(validate_unix_user(unix_user));
    TRY_ASSIGN(auto user, m_store.find_user_by_unix(unix_user));
    if (user || m_options.user_map.empty()) {
        return user;
    }
    std::string email = m_options.user_map;
    if (auto at = email.find("{user}"); at != std::string::npos) {
        email.replace(at, 6, unix_user);
    }
    TRY_ASSIGN(user, m_store.find_user(email));
    // A user that names another account is not this one's guard.
    if (user && !user->unix_user.empty() && user->unix_user != unix_user) {
        return std::optional<UserRecord>();
    }
    return user;
}

GateOutcome Gate::run(const GateRequest& request, Prompter& prompter, FlowOptions flow) {
    return run(request, guard_of(request.unix_user), prompter, std::move(flow));
}

GateOutcome Gate::run(const GateRequest& request, const Result<std::optional<UserRecord>>& guard,
                      Prompter& prompter, FlowOptions flow) {
    GateOutcome out;
    if (!guard.ok()) {
        out.error = guard.error();
        out.verdict =
            guard.error().code == Exit::usage ? GateVerdict::unknown : GateVerdict::unavailable;
    } else if (!*guard) {
        out.verdict = m_options.nullok ? GateVerdict::ignored : GateVerdict::unknown;
        out.error = make_error(
            Exit::not_found, "no twofa user guards the Unix account " + request.unix_user,
            "an administrator runs: twofa user set EMAIL --unix-user " + request.unix_user);
    } else {
        return finish(request, **guard, prompter, std::move(flow));
    }
    audit(request, out);
    return out;
}

GateOutcome Gate::finish(const GateRequest& request, const UserRecord& user, Prompter& prompter,
                         FlowOptions flow) {
    GateOutcome out;
    out.email = user.email;
    if (m_options.pushinfo) {
        flow.push_details.emplace_back("Service", request.service);
        if (!request.remote_host.empty()) {
            flow.push_details.emplace_back("From", request.remote_host);
        }
        if (!request.command.empty()) {
            flow.push_details.emplace_back("Command", request.command.substr(0, 200));
        }
        flow.push_details.emplace_back("Unix user", request.unix_user);
    }
    LoginFlow login(m_logins, prompter, std::move(flow), m_clock);
    auto done = login.begin(user).and_then(
        [&](const SessionView& started) { return login.finish(user, started); });
    if (done.ok()) {
        out.verdict = GateVerdict::allowed;
        out.failed_open = done->failed_open;
    } else {
        out.verdict = verdict_of(done.error());
        out.error = done.error();
    }
    audit(request, out);
    return out;
}

GateOutcome Gate::ended(const GateRequest& request, const UserRecord& user, const Error& why) {
    GateOutcome out{verdict_of(why), false, user.email, why};
    audit(request, out);
    return out;
}

void Gate::audit(const GateRequest& r, const GateOutcome& out) {
    std::string detail = "service=" + strip_control(r.service) + " unix_user=" + r.unix_user;
    if (!r.remote_host.empty()) {
        detail += " rhost=" + strip_control(r.remote_host);
    }
    if (out.failed_open) {
        detail += " (failmode = safe: second factor skipped)";
    } else if (out.verdict != GateVerdict::allowed && !out.error.message.empty()) {
        detail += ": " + out.error.message;
    }
    // An audit failure cannot change the verdict: the store's own error was reported already.
    (void)m_store
        .transaction([&]() -> Status {
            return m_store.audit(
                {m_clock(), "gate", out.email, "", to_string(out.verdict), detail});
        })
        .ok();
}

} // namespace twofa
