// twofa serve-callback: the HTTP(S) listener for the provider's signed push results.
#include "app.hpp"
#include "service_notify.hpp"
#include "stop_signals.hpp"

#include <twofa/audit.hpp>
#include <twofa/listener.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <cerrno>
#include <iostream>
#include <string_view>
#include <unistd.h>

namespace twofa::cli {

namespace {

// The listener's log goes to stderr as it comes, whole.
void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        auto n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; // stderr is gone: nothing better to do with the log
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

int run_serve(App& app) {
    const Config& c = app.config();
    ListenerOptions o;
    HostPort listen = unwrap(parse_host_port(c.callback_listen));
    o.http.host = listen.host;
    o.http.port = listen.port;
    o.public_url = c.callback_public_url;
    o.default_path = app.provider_info().callback_path;
    o.http.tls_cert = c.tls_cert;
    o.http.tls_key = c.tls_key;
    auto verifier = unwrap(app.runtime().callback_verifier({}));
    Logins& logins = app.logins();
    AuditRetention retention(app.store(), c.audit_keep_days, App::now);
    Listener listener(
        o, *verifier,
        [&logins, &retention](const std::vector<PushResult>& results) {
            auto outcomes = logins.apply_callbacks(results);
            retention.tick(); // the writer's thread, between batches
            return outcomes;
        },
        [](const std::string& lines) { write_all(STDERR_FILENO, lines); });
    StopSignals signals;
    app.store().upkeep_in_background(); // a thread: after the signals are blocked
    int port = unwrap(listener.bind());
    const std::string url = std::string(c.tls_cert.empty() ? "http" : "https") + "://" +
                            host_port_text(o.http.host, port) +
                            unwrap(callback_path(listener.public_url()));
    if (app.json) {
        app.print_json({{"listening", url},
                        {"public_url", listener.public_url()},
                        {"database", c.db_path},
                        {"provider", app.provider_info().name}});
    } else {
        std::cout << strip_control("twofa serve-callback listening on " + url +
                                   " (signatures checked against " + listener.public_url() +
                                   "; database " + c.db_path + ")")
                  << std::endl;
    }
    // Under systemd (Type=notify): ready once the port is bound and the line printed.
    // Nothing happens without $NOTIFY_SOCKET.
    notify_service_manager("READY=1\nSTATUS=listening on " + url);
    signals.serve(
        [&] {
            listener.run();
            return true;
        },
        [&] {
            notify_service_manager("STOPPING=1");
            listener.stop();
        });
    return 0;
}

} // namespace

void register_serve_callback(CLI::App& root, App& app) {
    auto* cmd = root.add_subcommand(
        "serve-callback",
        "receive the provider's signed push results (HTTP, or HTTPS with --tls-cert/--tls-key)\n"
        "Serves POST (JSON) and GET (query) on the public URL's path, and GET /healthz.\n"
        "Stops cleanly on SIGTERM / SIGINT (exit 0).");
    add_config_flag(*cmd, app, "--listen", "callback.listen");
    add_config_flag(*cmd, app, "--public-url", "callback.public_url");
    add_config_flag(*cmd, app, "--tls-cert", "callback.tls_cert");
    add_config_flag(*cmd, app, "--tls-key", "callback.tls_key");
    cmd->callback([&app] {
        app.may_create_store = true;
        app.run = [&app] { return run_serve(app); };
    });
}

} // namespace twofa::cli
