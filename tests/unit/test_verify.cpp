// Verify v2: X-Twilio-Signature against every vector of verify-v2.md §2.3, the form encoding,
// the error-code mapping, the client's requests and the provider's verdicts over a fake
// transport, and the webhook verifier.
#include <doctest/doctest.h>

#include "fake_transport.hpp"

#include <twofa/verify/client.hpp>
#include <twofa/verify/provider.hpp>
#include <twofa/verify/wire.hpp>

#include <deque>

using namespace twofa;
using namespace twofa::verify;

namespace {

const Form k_default{{"CallSid", "CA1234567890ABCDE"},
                     {"Caller", "+14158675309"},
                     {"Digits", "1234"},
                     {"From", "+14158675309"},
                     {"To", "+18005551212"}};
const char* k_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
const char* k_body_hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

const std::string k_service = "VA" + std::string(32, 'a');
const std::string k_identity = "0123456789abcdef0123456789abcdef";

struct Harness {
    FakeTransport* transport = nullptr;
    std::unique_ptr<SecondFactor> provider;
    explicit Harness(std::deque<HttpResponse> replies) {
        auto t = std::make_unique<FakeTransport>();
        t->replies = std::move(replies);
        transport = t.get();
        VerifyCredentials c{"AC" + std::string(32, '1'), "AC" + std::string(32, '1'), "token",
                            "token"};
        auto client =
            std::make_unique<VerifyClient>("http://127.0.0.1:1/", k_service, c, std::move(t),
                                           RetryPolicy{}, [](std::chrono::milliseconds) {});
        provider = make_provider(std::move(client), TotpSettings{});
    }
};

std::string check_body(const char* status) {
    return std::string(R"({"sid":"VE)") + std::string(32, 'b') + R"(","status":")" + status +
           R"(","valid":false})";
}

Recipient alice() {
    return Recipient{k_identity, 1, "5551230000", "alice@example.com"};
}

IncomingRequest webhook(const Form& form, const std::string& signature) {
    IncomingRequest r;
    r.method = "POST";
    r.path = "/verify/webhook";
    r.body = form_encode(form);
    r.headers = {{"content-type", "application/x-www-form-urlencoded"},
                 {"x-twilio-signature", signature}};
    return r;
}

} // namespace

TEST_CASE("X-Twilio-Signature matches the vectors of twilio-python and twilio-node") {
    CHECK(twilio_signature("12345", k_url, k_default) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    CHECK(twilio_signature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", k_default) ==
          "kvajT1Ptam85bY51eRf/AJRuM3w=");
    CHECK(twilio_signature("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", k_default) ==
          "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
    CHECK(twilio_signature("12345", "http://mycompany.com:80/myapp.php?foo=1&bar=2", k_default) ==
          "0ZXoZLH/DfblKGATFgpif+LLRf4=");
    CHECK(twilio_signature("12345", "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                           k_default) == "CukzLTc1tT5dXEDIHm/tKBanW10=");
    CHECK(twilio_signature("12345",
                           "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing",
                           k_default) == "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
    CHECK(twilio_signature("12345", "https://user@mycompany.com/myapp.php?foo=1&bar=2",
                           k_default) == "2YRLlVAflCqxaNicjMpJcSTgzSs=");
    CHECK(twilio_signature("12345", "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
                           k_default) == "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=");
    // The query as written, byte for byte: each spelling of the same text signs differently.
    const std::string body_url = std::string(k_url) + "&Body=";
    CHECK(twilio_signature("12345", body_url + "It's+amazing", k_default) ==
          "dsq4Ehbj6cs+KdTkpF5sSSplOWw=");
    CHECK(twilio_signature("12345", body_url + "It%27s%20amazing", k_default) ==
          "KjO9y3ocKRL4bG0cJcdngFA5jZ0=");
    CHECK(twilio_signature("12345", body_url + "It's%20amazing", k_default) ==
          "bD9iT2C/HNMwZ/yCH1s/5R2+wUs=");
    // Repeated keys: de-duplicated and sorted, in either order.
    Form array{{"MessagingBinding.Address", "+1325xxxxxxx"},
               {"MessagingBinding.Address", "+1415xxxxxxx"}};
    CHECK(twilio_signature("12345", k_url, array) == "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    std::swap(array[0], array[1]);
    CHECK(twilio_signature("12345", k_url, array) == "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    Form digits{{"Sid", "CA123"},
                {"SidAccount", "AC123"},
                {"Digits", "5678"},
                {"Digits", "1234"},
                {"Digits", "1234"}};
    CHECK(twilio_signature("12345", k_url, digits) == "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    // JSON bodies: the URL with bodySHA256, no parameters.
    CHECK(sha256_hex(R"({"property": "value", "boolean": true})") == k_body_hash);
    CHECK(sha256_hex("{}") == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    CHECK(twilio_signature("12345", std::string(k_url) + "&bodySHA256=" + k_body_hash, {}) ==
          "a9nBmqA0ju/hNViExpshrM61xv4=");
    CHECK(twilio_signature("12345",
                           std::string("https://mycompany.com/myapp.php?bodySHA256=") + k_body_hash,
                           {}) == "y77kIzt2vzLz71DgmJGsen2scGs=");
    // The empty body "{}": node signs the with-port URL; the verifier tries both spellings.
    const std::string empty_hash = sha256_hex("{}");
    CHECK(twilio_signature(
              "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256=" + empty_hash,
              {}) == "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
    CHECK(twilio_signature("12345",
                           "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=" + empty_hash,
                           {}) == "rw/jVviOgicj2+kHZULvebnA4ag=");
    CHECK(twilio_signature("12345", "http://127.0.0.1:8080/hook", {{"a", "1"}}) ==
          "o2zKfjIGOPa7tfZwVgvXQfZi104=");
}

TEST_CASE("a signed URL is tried as written, and with the port removed or added") {
    CHECK(signed_url_variants("https://mycompany.com/myapp.php?foo=1") ==
          std::vector<std::string>{"https://mycompany.com/myapp.php?foo=1",
                                   "https://mycompany.com:443/myapp.php?foo=1"});
    CHECK(signed_url_variants("http://127.0.0.1:8080/hook") ==
          std::vector<std::string>{"http://127.0.0.1:8080/hook", "http://127.0.0.1/hook"});
    CHECK(signed_url_variants("http://[::1]/hook") ==
          std::vector<std::string>{"http://[::1]/hook", "http://[::1]:80/hook"});
}

TEST_CASE("form encoding: dotted names, repeated keys, E.164 and spaces") {
    Form f{{"To", "+15017122661"},
           {"Channel", "sms"},
           {"Details.Message", "Log in?"},
           {"Details.Fields", R"({"label":"Host","value":"a b"})"},
           {"Details.Fields", "x&y=z"}};
    std::string text = form_encode(f);
    CHECK(text.rfind("To=%2B15017122661&Channel=sms&Details.Message=Log+in%3F&", 0) == 0);
    CHECK(form_decode(text) == f);
    CHECK(form_decode("a=1&&b=%zz&c") == Form{{"a", "1"}, {"b", "%zz"}, {"c", ""}});
}

TEST_CASE("SIDs, identities and dates as Verify writes them") {
    CHECK(is_sid("VA" + std::string(32, 'f'), "VA"));
    CHECK_FALSE(is_sid("VA" + std::string(31, 'f'), "VA"));
    CHECK_FALSE(is_sid("VE" + std::string(32, 'f'), "VA"));
    CHECK_FALSE(is_sid("VA" + std::string(31, 'f') + "g", "VA"));
    CHECK(is_sid(new_sid("YC"), "YC"));
    CHECK(is_identity("ff483d1f-f591"));
    CHECK_FALSE(is_identity("short"));
    CHECK_FALSE(is_identity("alice@example.com"));
    CHECK(iso_date(1438286400) == "2015-07-30T20:00:00Z");
}

TEST_CASE("Verify's error codes map onto the exit table") {
    auto code_of = [](long status, int code) {
        return decode_error(reply(status, error_body(code, "m", static_cast<int>(status)))).code;
    };
    CHECK(code_of(401, k_authenticate) == Exit::rejected);
    CHECK(code_of(404, k_not_found) == Exit::expired);
    CHECK(code_of(429, k_max_check_attempts) == Exit::locked);
    CHECK(code_of(429, k_max_send_attempts) == Exit::locked);
    CHECK(code_of(429, k_factor_attempts) == Exit::locked);
    CHECK(code_of(400, k_invalid_parameter) == Exit::usage);
    CHECK(code_of(400, 60205) == Exit::rejected);
    auto e = decode_error(reply(503, ""));
    CHECK(e.code == Exit::unavailable);
    CHECK(e.unreachable);
    HttpResponse timeout;
    timeout.timed_out = true;
    CHECK(decode_error(timeout).code == Exit::unavailable);
    CHECK(decode_error(reply(400, error_body(60203, "Max send attempts reached", 400)))
              .message.find("[60203]") != std::string::npos);
    CHECK(error_code_of("not json") == 0);
}

TEST_CASE("codes: a Verification to the E.164 number, checks mapped to verdicts") {
    Harness h({reply(201, check_body("pending")), reply(200, check_body("pending")),
               reply(200, check_body("approved")),
               reply(404, error_body(k_not_found, "not found", 404)),
               reply(429, error_body(k_max_check_attempts, "Max check attempts reached", 429)),
               reply(200, check_body("max_attempts_reached"))});
    auto c = h.provider->start(alice(), Channel::sms, {});
    REQUIRE(c.ok());
    const HttpRequest& sent = h.transport->seen.at(0);
    CHECK(sent.method == "POST");
    CHECK(sent.url == "http://127.0.0.1:1/v2/Services/" + k_service + "/Verifications");
    CHECK(sent.body == "To=%2B15551230000&Channel=sms");
    bool basic = false;
    for (const auto& [name, value] : sent.headers) {
        basic = basic || (name == "Authorization" && value.rfind("Basic ", 0) == 0);
    }
    CHECK(basic);
    CHECK(h.provider->check(alice(), *c, "123456").value() == CodeVerdict::invalid);
    CHECK(h.transport->seen.at(1).body == "To=%2B15551230000&Code=123456");
    CHECK(h.provider->check(alice(), *c, "123456").value() == CodeVerdict::valid);
    CHECK(h.provider->check(alice(), *c, "123456").error().code == Exit::expired);
    CHECK(h.provider->check(alice(), *c, "123456").error().code == Exit::locked);
    CHECK(h.provider->check(alice(), *c, "123456").error().code == Exit::locked);
}

TEST_CASE("push: a Challenge on the verified push factor, its handle polled") {
    std::string factors = R"({"factors":[{"sid":"YF)" + std::string(32, 'c') +
                          R"(","factor_type":"push","status":"verified"}],"meta":{}})";
    std::string challenge = R"({"sid":"YC)" + std::string(32, 'd') + R"(","status":"pending"})";
    std::string approved = R"({"sid":"YC)" + std::string(32, 'd') + R"(","status":"approved"})";
    Harness h({reply(200, factors), reply(201, challenge), reply(200, approved)});
    PushRequest push{"Log in?", {{"Host", "h1"}}, {{"session", "abcd"}}, 120};
    auto c = h.provider->start(alice(), Channel::push, push);
    REQUIRE(c.ok());
    CHECK(c->handle == k_identity + "/YC" + std::string(32, 'd'));
    Form body = form_decode(h.transport->seen.at(1).body);
    CHECK(body.at(0) ==
          std::pair<std::string, std::string>{"FactorSid", "YF" + std::string(32, 'c')});
    CHECK(body.at(2) == std::pair<std::string, std::string>{"Details.Message", "Log in?"});
    CHECK(body.at(3).second == R"({"label":"Host","value":"h1"})");
    CHECK(body.at(4) ==
          std::pair<std::string, std::string>{"HiddenDetails", R"({"session":"abcd"})"});
    CHECK(h.provider->poll(*c).value() == PushState::approved);
    CHECK(h.transport->seen.at(2).url.find("/Entities/" + k_identity + "/Challenges/YC") !=
          std::string::npos);
}

TEST_CASE("an automatic login lists the factors once; a change of factors lists them again") {
    std::string factors = R"({"factors":[{"sid":"YF)" + std::string(32, 'c') +
                          R"(","factor_type":"push","status":"verified"}],"meta":{}})";
    std::string challenge = R"({"sid":"YC)" + std::string(32, 'd') + R"(","status":"pending"})";
    Harness h({reply(200, factors), reply(201, challenge), reply(200, factors), reply(500, ""),
               reply(200, R"({"factors":[],"meta":{}})")});
    REQUIRE(h.provider->devices(k_identity).value().has_app);
    REQUIRE(h.provider->start(alice(), Channel::push, PushRequest{"Log in?", {}, {}, 120}).ok());
    REQUIRE(h.transport->seen.size() == 2); // one GET of the factors, then the challenge
    CHECK(h.transport->seen[0].method == "GET");
    CHECK(h.transport->seen[1].method == "POST");
    // A reset lists them itself and fails to make one; the next question lists them anew.
    CHECK(h.provider->reset(k_identity, "a@example.com").error().code == Exit::unavailable);
    CHECK(h.transport->seen.size() == 4);
    CHECK(!h.provider->devices(k_identity).value().has_app); // a fresh list, not the first
}

TEST_CASE("a TOTP reset makes the new factor before it deletes the old one") {
    std::string factors = R"({"factors":[{"sid":"YF)" + std::string(32, 'c') +
                          R"(","factor_type":"totp","status":"verified"}],"meta":{}})";
    std::string made = R"({"sid":"YF)" + std::string(32, 'e') +
                       R"(","factor_type":"totp","status":"unverified","binding":{"secret":"AB",)"
                       R"("uri":"otpauth://totp/x:y?secret=AB"}})";
    {
        Harness failing({reply(200, factors), reply(500, "")});
        CHECK(failing.provider->reset(k_identity, "a@example.com").error().code ==
              Exit::unavailable);
        REQUIRE(failing.transport->seen.size() == 2); // the create is not retried, nothing deleted
        CHECK(failing.transport->seen[1].method == "POST");
    }
    Harness working({reply(200, factors), reply(201, made), reply(204, "")});
    auto secret = working.provider->reset(k_identity, "a@example.com");
    REQUIRE(secret.ok());
    CHECK(secret->secret == "AB");
    REQUIRE(working.transport->seen.size() == 3);
    CHECK(working.transport->seen[2].method == "DELETE");
    CHECK(working.transport->seen[2].url.find("/Factors/YF" + std::string(32, 'c')) !=
          std::string::npos);
}

TEST_CASE("a user without a push factor cannot be pushed to; a bad identity never leaves") {
    Harness h({reply(200, R"({"factors":[],"meta":{}})")});
    CHECK(h.provider->start(alice(), Channel::push, {}).error().code == Exit::rejected);
    Recipient bad = alice();
    bad.user = "../../Services";
    CHECK(h.provider->start(bad, Channel::sms, {}).error().code == Exit::store);
    CHECK(h.transport->seen.size() == 1);
}

TEST_CASE("the webhook verifier: signature, port variants, service, events") {
    const std::string url = "http://127.0.0.1:8080/verify/webhook";
    auto v = make_webhook_verifier("token", k_service);
    Form form{{"type", "challenge.approved"},
              {"service_sid", k_service},
              {"entity_identity", k_identity},
              {"challenge_sid", "YC" + std::string(32, 'e')}};
    auto good = v->verify(webhook(form, twilio_signature("token", url, form)), url);
    REQUIRE(good.result);
    CHECK(good.result->provider == "verify");
    CHECK(good.result->user == k_identity);
    CHECK(good.result->handle == k_identity + "/YC" + std::string(32, 'e'));
    CHECK(good.result->state == PushState::approved);
    CHECK_FALSE(good.result->test);
    // Signed without the port: still Twilio's signature.
    CHECK(
        v->verify(webhook(form, twilio_signature("token", "http://127.0.0.1/verify/webhook", form)),
                  url)
            .result);
    CHECK(v->verify(webhook(form, twilio_signature("other", url, form)), url).refusal.status ==
          401);
    Form tampered = form;
    tampered[0].second = "challenge.denied";
    auto t = webhook(tampered, twilio_signature("token", url, form));
    CHECK(v->verify(t, url).refusal.outcome == std::string("bad-signature"));
    auto unsigned_req = webhook(form, "");
    CHECK(v->verify(unsigned_req, url).refusal.status == 401);
    auto json_req = webhook(form, twilio_signature("token", url, form));
    json_req.headers[0].second = "text/plain";
    CHECK(v->verify(json_req, url).refusal.status == 415);
    Form other = form;
    other[1].second = "VA" + std::string(32, 'b');
    auto o = v->verify(webhook(other, twilio_signature("token", url, other)), url);
    CHECK_FALSE(o.result);
    CHECK(o.refusal.outcome == std::string("other-service"));
    Form factor{
        {"type", "factor.verified"}, {"service_sid", k_service}, {"entity_identity", k_identity}};
    auto f = v->verify(webhook(factor, twilio_signature("token", url, factor)), url);
    REQUIRE(f.result);
    CHECK(f.result->test);
}

TEST_CASE("a JSON webhook is checked by its bodySHA256 and the URL's signature") {
    const std::string url = "http://127.0.0.1:8080/verify/webhook";
    auto v = make_webhook_verifier("token", k_service);
    std::string body = R"({"type":"challenge.denied","entity_identity":")" + k_identity +
                       R"(","challenge_sid":"YC)" + std::string(32, 'e') + R"("})";
    IncomingRequest r;
    r.method = "POST";
    r.path = "/verify/webhook";
    r.query = "bodySHA256=" + sha256_hex(body);
    r.body = body;
    r.headers = {{"content-type", "application/json"},
                 {"x-twilio-signature", twilio_signature("token", url + "?" + r.query, {})}};
    auto ok = v->verify(r, url);
    REQUIRE(ok.result);
    CHECK(ok.result->state == PushState::denied);
    r.body += " ";
    CHECK(v->verify(r, url).refusal.status == 401);
}
