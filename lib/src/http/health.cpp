#include <twofa/health.hpp>
#include <twofa/http.hpp>

#include <nlohmann/json.hpp>

namespace twofa {

Status probe_listener(const Config& config) {
    std::string addr = config.callback_listen;
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) {
        return make_error(Exit::config, "callback.listen '" + addr + "' has no port",
                          "use HOST:PORT");
    }
    std::string host = addr.substr(0, colon);
    if (host == "0.0.0.0" || host.empty()) {
        host = "127.0.0.1";
    } else if (host == "::" || host == "[::]") {
        host = "[::1]";
    }
    std::string scheme = config.tls_cert.empty() ? "http" : "https";
    std::string url = scheme + "://" + host + addr.substr(colon) + "/healthz";
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
