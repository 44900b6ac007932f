#include <twofa/health.hpp>
#include <twofa/http.hpp>
#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

namespace twofa {

Status probe_listener(const Config& config) {
    const std::string& addr = config.callback_listen;
    auto listen = parse_host_port(addr);
    if (!listen.ok()) {
        return make_error(Exit::config, listen.error().message, "set callback.listen to HOST:PORT");
    }
    std::string host = listen->host == "0.0.0.0" ? "127.0.0.1"
                       : listen->host == "::"    ? "::1"
                                                 : listen->host;
    std::string scheme = config.tls_cert.empty() ? "http" : "https";
    std::string url = scheme + "://" + host_port_text(host, listen->port) + "/healthz";
    auto transport = make_curl_transport({2000, 3000});
    HttpResponse r = transport->send({"GET", url, {}, ""});
    if (r.status == 0) {
        return make_error(Exit::unavailable,
                          "the callback listener at " + url + " does not answer: " + r.error,
                          "start it with twofa serve-callback");
    }
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || j.is_discarded() || !j.is_object() || j.value("status", "") != "ok") {
        return make_error(Exit::unavailable,
                          "the callback listener at " + url + " answered HTTP " +
                              std::to_string(r.status),
                          "check what is listening on " + addr);
    }
    return {};
}

} // namespace twofa
