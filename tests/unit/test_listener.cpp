// The listener's request parser and screening, with a fake clock: framing, routing, the
// cheap checks before the signature, the nonce window, and the depth cap.
#include <doctest/doctest.h>

#include <twofa/authy/provider.hpp>
#include <twofa/authy/signature.hpp>
#include <twofa/http_server.hpp>
#include <twofa/listener.hpp>

#include <string>

using namespace twofa;

namespace {

constexpr const char* k_key = "listener-test-key";
constexpr const char* k_url = "https://login.example.com/authy/callback";

struct Fixture {
    double now = 1'800'000'000.0;
    std::unique_ptr<CallbackVerifier> verifier =
        authy::make_callback_verifier(k_key, CallbackSettings{300, [this] { return now; }});
    Listener listener{[] {
                          ListenerOptions o;
                          o.public_url = k_url;
                          return o;
                      }(),
                      *verifier, nullptr, nullptr};

    IncomingRequest post(const std::string& body, double nonce_at) const {
        IncomingRequest r;
        r.method = "POST";
        r.path = "/authy/callback";
        r.body = body;
        std::string nonce = std::to_string(static_cast<long long>(nonce_at));
        r.headers = {{"content-type", "application/json; charset=utf-8"},
                     {"x-authy-signature-nonce", nonce},
                     {"x-authy-signature",
                      authy::sign_callback(k_key, nonce, "POST", k_url,
                                           authy::canonical_json_params(body).value())}};
        return r;
    }
};

const std::string k_body =
    R"({"authy_id":5,"uuid":"u-1","status":"approved","callback_action":"approval_request_status","approval_request":{"transaction":{"details":{}}}})";

} // namespace

TEST_CASE("request heads: strict lines, lower-case names, one path") {
    IncomingRequest r;
    CHECK(parse_request_head("POST /authy/callback?a=1 HTTP/1.1\r\nContent-Type: x\r\nX-A:  b ",
                             r) == 0);
    CHECK(r.method == "POST");
    CHECK(r.path == "/authy/callback");
    CHECK(r.query == "a=1");
    CHECK(r.header("content-type") == "x");
    CHECK(r.header("x-a") == "b");
    for (const char* bad : {"GET / HTTP/1.1\r\n folded", "GET / HTTP/1.1\r\nA: 1\nB: 2",
                            "GET  / HTTP/1.1", "get / HTTP/1.1", "GET x HTTP/1.1",
                            "GET / HTTP/1.1\r\nBad Name: 1", "GET / HTTP/1.1\r\nA: \x01"}) {
        IncomingRequest q;
        CAPTURE(bad);
        CHECK(parse_request_head(bad, q) == 400);
    }
    IncomingRequest v;
    CHECK(parse_request_head("GET / HTTP/2.0", v) == 505);
    std::string many = "GET / HTTP/1.1";
    for (int i = 0; i < 101; ++i) {
        many += "\r\nX-" + std::to_string(i) + ": 1";
    }
    IncomingRequest m;
    CHECK(parse_request_head(many, m) == 431);
}

TEST_CASE("a signed callback within the nonce window is let through, once decoded") {
    Fixture f;
    auto s = f.listener.screen(f.post(k_body, f.now - 299));
    REQUIRE(s.callback.has_value());
    CHECK(s.callback->provider == "authy");
    CHECK(s.callback->user == "5");
    CHECK(s.callback->handle == "u-1");
    CHECK(s.callback->state == PushState::approved);
    CHECK_FALSE(s.callback->test);
}

TEST_CASE(
    "a GET callback is read from the same pairs it is signed over; a field twice is refused") {
    Fixture f;
    const std::string query =
        "authy_id=1234&uuid=u-2&status=denied&callback_action=approval_request_status";
    auto get = [&](const std::string& q) {
        IncomingRequest r;
        r.method = "GET";
        r.path = "/authy/callback";
        r.query = q;
        std::string nonce = std::to_string(static_cast<long long>(f.now));
        r.headers = {{"x-authy-signature-nonce", nonce},
                     {"x-authy-signature",
                      authy::sign_callback(k_key, nonce, "GET", k_url,
                                           authy::canonical_flat_params(form_decode(q)))}};
        return f.listener.screen(r);
    };
    auto s = get(query);
    REQUIRE(s.callback.has_value());
    CHECK(s.callback->state == PushState::denied);
    CHECK(s.callback->test); // Authy's dashboard test user
    auto twice = get(query + "&uuid=u-3");
    CHECK_FALSE(twice.callback.has_value());
    CHECK(twice.reply.status == 400);
    CHECK(twice.reply.detail.find("twice") != std::string::npos);
}

TEST_CASE("the nonce window follows the listener's clock, both ways") {
    Fixture f;
    auto req = f.post(k_body, f.now);
    f.now += 301; // the same request, replayed five minutes later
    auto late = f.listener.screen(req);
    CHECK_FALSE(late.callback.has_value());
    CHECK(late.reply.status == 401);
    CHECK(late.reply.outcome == "stale-nonce");
    f.now -= 602;
    CHECK(f.listener.screen(req).reply.outcome == "stale-nonce");
    f.now += 301;
    CHECK(f.listener.screen(req).callback.has_value());
}

TEST_CASE("cheap checks come first: routing, method, content type, headers, depth") {
    Fixture f;
    auto req = f.post(k_body, f.now);
    auto with = [&](auto change) {
        IncomingRequest r = req;
        change(r);
        return f.listener.screen(r);
    };
    CHECK(with([](auto& r) { r.path = "/authy/callback/"; }).reply.status == 404);
    CHECK(with([](auto& r) { r.path = "/.*"; }).reply.status == 404);
    CHECK(with([](auto& r) { r.method = "PUT"; }).reply.status == 405);
    CHECK(with([](auto& r) { r.headers[0].second = "text/plain"; }).reply.status == 415);
    CHECK(with([](auto& r) { r.headers.pop_back(); }).reply.outcome == "missing-signature");
    CHECK(with([](auto& r) { r.headers[1].second = "1e400"; }).reply.outcome == "stale-nonce");
    CHECK(with([](auto& r) { r.headers[1].second = "nan"; }).reply.outcome == "stale-nonce");
    CHECK(with([](auto& r) { r.body = "{\"a\":1}"; }).reply.outcome == "bad-signature");
    std::string deep = std::string(33, '[') + std::string(33, ']');
    auto d = with([&](auto& r) { r.body = "{\"a\":" + deep + "}"; });
    CHECK(d.reply.status == 400);
    CHECK(d.reply.detail.find("nested") != std::string::npos);
    IncomingRequest health;
    health.method = "GET";
    health.path = "/healthz";
    CHECK(f.listener.screen(health).reply.status == 200);
}

TEST_CASE("json_depth counts brackets outside strings only") {
    CHECK(authy::json_depth(R"({"a":[{"b":"[[[["}]})") == 3);
    CHECK(authy::json_depth(R"({"a":"\"[[["})") == 1);
    CHECK(authy::json_depth(std::string(10000, '[')) == 10000);
    CHECK(authy::json_depth("") == 0);
}
