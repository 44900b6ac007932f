// twofa status [EMAIL] [--all] [--health]: where logins stand, and whether twofa can work.
#include "app.hpp"

#include <twofa/health.hpp>
#include <twofa/util.hpp>

#include <iomanip>
#include <iostream>
#include <map>

namespace twofa::cli {

namespace {

using nlohmann::json;

struct StatusOptions {
    std::string email;
    std::optional<std::string> session;
    bool all = false;
    bool health = false;
    bool quiet = false;  // --health: nothing on stdout; failures still on stderr
    bool nagios = false; // --health: a monitoring plugin's line and exit code
};

std::string describe(const SessionView& v) {
    std::string left = clock_text(v.record.expires_at - App::now());
    switch (v.state) {
    case SessionState::sms:
    case SessionState::token:
        return "waiting for the code (" + std::string(to_string(v.record.method)) +
               "), expires in " + left + ", " + std::to_string(v.attempts_left) + " attempts left";
    case SessionState::onetouch:
        return "waiting for approval on the phone, expires in " + left;
    case SessionState::approved:
        return "logged in, for " + left + " more";
    case SessionState::denied:
        return "denied";
    case SessionState::expired:
        return "expired";
    case SessionState::locked:
        return "locked";
    case SessionState::unverified:
        break;
    }
    return "not logged in";
}

// Recovery codes left, for users whose factor has them (TOTP: a local count); -1 otherwise.
int recovery_codes_left(App& app, const UserRecord& u) {
    if (u.provider.empty() || !App::provider_info(u.provider).shows_secret) {
        return -1;
    }
    auto d = app.runtime().provider(u.provider).and_then([&](SecondFactor* p) {
        return p->devices(u.provider_user);
    });
    return d.ok() ? d->recovery_codes_left : -1;
}

int report_one(App& app, const SessionView& v) {
    int left = recovery_codes_left(app, v.user);
    if (app.json) {
        auto doc = session_json(v);
        if (left >= 0) {
            doc["recovery_codes_left"] = left;
        }
        app.print_json(doc);
    } else {
        std::cout << v.user.email << ": " << to_string(v.state) << " - " << describe(v) << "\n";
        if (left >= 0) {
            std::cout << left << " recovery code" << (left == 1 ? "" : "s") << " left"
                      << (left < 3
                              ? " (make new ones: twofa user recovery-codes " + v.user.email + ")"
                              : "")
                      << "\n";
        }
    }
    return static_cast<int>(exit_for(v.state));
}

// One user's line of --all: as JSON, or as a table row.
void print_user(bool as_json, bool first, const UserRecord& u,
                const std::optional<SessionRecord>& latest) {
    const std::string method = latest ? to_string(latest->method) : "";
    const std::string since = iso_time(latest ? latest->updated_at : u.updated_at);
    if (as_json) {
        // Written directly, keys in the order a document would dump them: building one per
        // user was a third of the time of a long list.
        std::string line = first ? "" : ",";
        JsonObjectWriter(line)
            .text("email", u.email)
            .text("method", method)
            .text("since", since)
            .text("status", to_string(u.status))
            .close();
        std::cout << line;
    } else {
        std::cout << std::left << std::setw(32) << u.email << std::setw(12) << to_string(u.status)
                  << std::setw(10) << method << since << "\n";
    }
}

void print_audit_line(const std::vector<AuditCount>& audit) {
    std::cout << "\nLast 24 hours:";
    if (audit.empty()) {
        std::cout << " no events";
    }
    std::string event;
    for (const auto& a : audit) {
        std::cout << (a.event == event ? ", " : (event.empty() ? " " : "; ") + a.event + " ")
                  << a.outcome << " " << a.count;
        event = a.event;
    }
    std::cout << "\n";
}

// Streamed: a line per user as the store hands it over, so memory does not grow with the
// number of users; the counts follow.
int run_all(App& app) {
    std::map<std::string, int> counts;
    for (int s = 0; s <= static_cast<int>(SessionState::locked); ++s) {
        counts[to_string(static_cast<SessionState>(s))] = 0;
    }
    // The store is open (or its error out, as one document) before any output.
    Logins& logins = app.logins();
    app.store();
    std::int64_t users = 0;
    std::cout << (app.json ? "{\"users\":["
                           : "EMAIL                           STATUS      METHOD    SINCE\n");
    unwrap(logins.each_user_status(
        [&](UserRecord&& u, std::optional<SessionRecord>&& latest) -> Status {
            counts[to_string(u.status)] += 1;
            print_user(app.json, users++ == 0, u, latest);
            return {};
        }));
    auto audit = unwrap(logins.audit_counts(App::now() - 86400));
    if (app.json) {
        json list = json::array();
        for (const auto& a : audit) {
            list.push_back({{"event", a.event}, {"outcome", a.outcome}, {"count", a.count}});
        }
        std::cout << "],\"counts\":" << json(counts).dump() << ",\"audit_24h\":" << list.dump()
                  << "}\n";
        return 0;
    }
    std::string line;
    for (const auto& [name, n] : counts) {
        if (n > 0) {
            line += (line.empty() ? " " : ", ") + std::to_string(n) + " " + name;
        }
    }
    std::cout << users << " users:" << line;
    print_audit_line(audit);
    return 0;
}

struct Check {
    std::string name;
    Status result;
    std::string detail;
};

// The settings table as the health report shows it: each key's value and where it came from.
json settings_json(const Config& c) {
    json out = json::object();
    for (const ConfigKey& k : config_keys()) {
        auto source = c.sources.find(k.key);
        out[k.key] = {{"value", config_value(c, k)},
                      {"source", source == c.sources.end() ? "default" : source->second}};
    }
    return out;
}

std::vector<Check> health_checks(App& app) {
    std::vector<Check> checks;
    Result<Runtime*> runtime = app.try_runtime();
    Status config = runtime.and_then([](Runtime* r) -> Status {
        TRY(r->provider_info());
        return {};
    });
    checks.push_back({"config", config,
                      config.ok() ? (app.config().config_file.empty() ? "defaults and environment"
                                                                      : app.config().config_file)
                                  : ""});
    if (config.ok()) {
        Runtime& r = **runtime;
        Status db = r.store().and_then([](Store* s) { return s->check_health(); });
        auto store = r.store();
        checks.push_back({"database", db,
                          store.ok() ? (*store)->describe() + " (" + (*store)->health_detail() + ")"
                                     : r.config().db_path});
        Status provider = r.provider().and_then([](SecondFactor* p) { return p->health(); });
        checks.push_back(
            {"provider", provider, app.provider_info().display + " (credentials accepted)"});
        if (r.config().callback_configured) {
            checks.push_back({"listener", probe_listener(r.config()), r.config().callback_listen});
        } else {
            checks.push_back({"listener", {}, "skipped (callback.listen not set)"});
        }
    }
    for (Check& c : checks) {
        if (!c.result.ok()) {
            c.detail = with_cli_hint(c.result.error()).text();
        }
    }
    return checks;
}

// The Nagios / Icinga plugin convention: one status line on stdout (then one line per check)
// and 0 OK, 1 WARNING (only the listener is down: pushes fall back to polling the provider),
// 2 CRITICAL (the database or the provider fails: logins cannot finish), 3 UNKNOWN (the
// configuration does not resolve, so nothing could be checked).
int report_nagios(const std::vector<Check>& checks) {
    static const char* k_states[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    int state = 0;
    std::string failed;
    for (const Check& c : checks) {
        if (c.result.ok()) {
            continue;
        }
        state = std::max(state, c.name == "config" ? 3 : c.name == "listener" ? 1 : 2);
        failed += (failed.empty() ? "" : "; ") + c.name + ": " + c.detail;
    }
    std::cout << "TWOFA " << k_states[state] << " - "
              << (state == 0 ? std::to_string(checks.size()) + " checks passed" : failed) << "\n";
    for (const Check& c : checks) {
        std::cout << c.name << ": " << (c.result.ok() ? "ok, " : "FAIL, ") << c.detail << "\n";
    }
    return state;
}

int run_health(App& app, const StatusOptions& o) {
    const std::vector<Check> checks = health_checks(app);
    if (o.nagios) {
        return report_nagios(checks);
    }
    int code = 0;
    json arr = json::array();
    for (const auto& c : checks) {
        if (!c.result.ok() && code == 0) {
            code = static_cast<int>(c.result.error().code);
        }
        arr.push_back({{"name", c.name}, {"ok", c.result.ok()}, {"detail", c.detail}});
        // Failures on stderr, so `status --health >/dev/null || alert` still shows why.
        if (!c.result.ok()) {
            std::cerr << "FAIL  " << std::left << std::setw(10) << c.name << c.detail << "\n";
        } else if (!app.json && !o.quiet) {
            std::cout << "ok    " << std::left << std::setw(10) << c.name << c.detail << "\n";
        }
    }
    if (app.json) {
        json doc = {{"ok", code == 0}, {"checks", arr}};
        if (checks.front().result.ok()) {
            doc["settings"] = settings_json(app.config());
        }
        app.print_json(doc);
    }
    return code;
}

int run_status(App& app, const StatusOptions& o) {
    if (static_cast<int>(o.all) + static_cast<int>(o.health) + static_cast<int>(!o.email.empty()) +
            static_cast<int>(o.session.has_value()) >
        1) {
        throw Failure(make_error(Exit::usage,
                                 "EMAIL, --session, --all and --health exclude each other",
                                 "give one of them"));
    }
    if ((o.quiet || o.nagios) && !o.health) {
        throw Failure(
            make_error(Exit::usage, "--quiet and --nagios go with --health", "add --health"));
    }
    if (static_cast<int>(o.quiet) + static_cast<int>(o.nagios) + static_cast<int>(app.json) > 1) {
        throw Failure(make_error(Exit::usage, "--quiet, --nagios and --json exclude each other",
                                 "give one of them"));
    }
    if (o.health) {
        return run_health(app, o);
    }
    if (o.all) {
        return run_all(app);
    }
    if (!o.email.empty()) {
        return report_one(app, unwrap(app.logins().user_status(o.email)));
    }
    SessionRef ref = resolve_session(app, o.session);
    return report_one(app, unwrap(app.logins().status(ref.id)));
}

} // namespace

void register_status(CLI::App& root, App& app) {
    auto o = std::make_shared<StatusOptions>();
    auto* cmd = root.add_subcommand(
        "status", "the current login's status (or a user's, or everyone's), or a health check\n"
                  "Exit: 0 approved, 1 denied, 3 pending, 4 expired, 5 locked, 6 no session;\n"
                  "--health: 0 when every check passes, else the first failure's code");
    cmd->add_option("email", o->email, "a user's latest login instead of the current session");
    add_session_flag(*cmd, o->session);
    cmd->add_flag("--all", o->all, "every user with its status, and counts");
    cmd->add_flag("--health", o->health,
                  "check the database, configuration, provider and listener (for cron); "
                  "failures go to stderr");
    cmd->add_flag("--quiet,-q", o->quiet,
                  "with --health: print nothing when all is well (failures still on stderr)");
    cmd->add_flag("--nagios", o->nagios,
                  "with --health: a Nagios/Icinga plugin's output; exit 0 OK, 1 WARNING "
                  "(listener down), 2 CRITICAL (database or provider), 3 UNKNOWN (configuration)");
    cmd->callback([&app, o] { app.run = [&app, o] { return run_status(app, *o); }; });
}

} // namespace twofa::cli
