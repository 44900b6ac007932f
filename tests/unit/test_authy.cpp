// The Authy codecs against the fixtures of authy-protocol.md §1.4, and the client's retries.
#include <doctest/doctest.h>

#include "fake_transport.hpp"

#include <twofa/authy/bodies.hpp>
#include <twofa/authy/client.hpp>
#include <twofa/authy/wire.hpp>

#include <deque>
#include <nlohmann/json.hpp>

using namespace twofa;

namespace {

struct Harness {
    FakeTransport* transport = nullptr;
    std::vector<std::chrono::milliseconds> slept;
    std::unique_ptr<AuthyClient> client;
    explicit Harness(std::deque<HttpResponse> replies) {
        auto t = std::make_unique<FakeTransport>();
        t->replies = std::move(replies);
        transport = t.get();
        client = std::make_unique<AuthyClient>(
            "http://127.0.0.1:1/", "KEY", std::move(t), RetryPolicy{},
            [this](std::chrono::milliseconds d) { slept.push_back(d); });
    }
};

const char* k_created =
    R"({"message":"User created successfully.","user":{"id":1635},"success":true})";
const char* k_invalid_user =
    R"({"cellphone":"is invalid","message":"User was not valid","success":false,"errors":{"cellphone":"is invalid","message":"User was not valid"},"error_code":"60027"})";
const char* k_bad_key =
    R"({"error_code":"60001","message":"Invalid API key","errors":{"message":"Invalid API key"},"success":false})";
const char* k_not_found =
    R"({"message":"User not found.","success":false,"errors":{"message":"User not found."},"error_code":"60026"})";
const char* k_status =
    R"({"status":{"authy_id":290907,"confirmed":true,"registered":false,"country_code":1,"phone_number":"XXX-XXX-1118","email":"x@y.z","devices":[],"has_hard_token":false,"account_disabled":false,"detailed_devices":[{"device_type":"authy","os_type":"unknown","registration_device_id":null,"registration_method":null,"device_id":290908,"last_sync_date":0,"creation_date":1433868212}],"deleted_devices":[]},"message":"User status.","success":true})";
const char* k_status_old =
    R"({"status":{"authy_id":1,"confirmed":true,"registered":true,"country_code":1,"phone_number":"XXX-XXX-1111","devices":["iphone","ipad"]},"message":"User status.","success":true})";

} // namespace

TEST_CASE("users/new request encoding") {
    auto body = nlohmann::json::parse(authy::encode_new_user({"a@b.com", "5551230000", 44, false}));
    CHECK(body["user"]["email"] == "a@b.com");
    CHECK(body["user"]["cellphone"] == "5551230000");
    CHECK(body["user"]["country_code"] == 44);
    CHECK(body["send_install_link_via_sms"] == false);
}

TEST_CASE("users/new replies") {
    CHECK(*authy::decode_new_user(reply(200, k_created)) == 1635);
    auto invalid = authy::decode_new_user(reply(400, k_invalid_user));
    REQUIRE(!invalid.ok());
    CHECK(invalid.error().code == Exit::rejected);
    CHECK(invalid.error().message.find("User was not valid") != std::string::npos);
    CHECK(invalid.error().message.find("60027") != std::string::npos);
    auto key = authy::decode_new_user(reply(401, k_bad_key));
    CHECK(key.error().code == Exit::rejected);
    CHECK(key.error().hint.find("AUTHY_API_KEY") != std::string::npos);
    CHECK(authy::decode_new_user(reply(503, "")).error().code == Exit::unavailable);
    CHECK(authy::decode_new_user(reply(200, R"({"user":{"id":)")).error().code ==
          Exit::unavailable);
    CHECK(authy::decode_new_user(reply(200, R"({"user":{"id":"12"}})")).error().code ==
          Exit::unavailable);
    CHECK(authy::decode_new_user(reply(200, R"([1,2])")).error().code == Exit::unavailable);
    CHECK(authy::decode_new_user(reply(302, "")).error().code == Exit::unavailable);
    HttpResponse down;
    down.error = "Couldn't connect to server";
    CHECK(authy::decode_new_user(down).error().code == Exit::unavailable);
}

TEST_CASE("error_code is read as a string or a number") {
    CHECK(authy::error_code_of(k_not_found) == "60026");
    CHECK(authy::error_code_of(R"({"error_code":60020})") == "60020");
    CHECK(authy::error_code_of("not json").empty());
}

TEST_CASE("provider text is stripped of control characters") {
    auto e =
        authy::decode_error(reply(400, R"({"message":"bad\u001b[2Jthing","error_code":"60000"})"));
    CHECK(e.message.find('\x1b') == std::string::npos);
    CHECK(e.message.find("bad[2Jthing") != std::string::npos);
}

TEST_CASE("user status, current and older shapes") {
    auto s = authy::decode_user_status(reply(200, k_status));
    REQUIRE(s.ok());
    CHECK(s->authy_id == 290907);
    CHECK(!s->registered);
    CHECK(s->confirmed);
    CHECK(s->phone_number == "XXX-XXX-1118");
    auto old = authy::decode_user_status(reply(200, k_status_old));
    CHECK(old->registered);
    CHECK(old->devices == std::vector<std::string>{"iphone", "ipad"});
    CHECK(authy::decode_user_status(reply(404, k_not_found)).error().code == Exit::rejected);
    CHECK(authy::decode_user_status(reply(200, R"({"success":true})")).error().code ==
          Exit::unavailable);
}

TEST_CASE("sandbox bodies decode with the client's decoders") {
    CHECK(*authy::decode_new_user(reply(200, authy::user_created_body(77))) == 77);
    authy::UserStatus st;
    st.authy_id = 5;
    st.registered = true;
    st.country_code = 44;
    st.devices = {"android"};
    auto back = authy::decode_user_status(reply(200, authy::user_status_body(st, "e@x.com")));
    CHECK(back->registered);
    CHECK(back->country_code == 44);
    auto err = nlohmann::json::parse(
        authy::error_body("User was not valid", "60027", {{"cellphone", "is invalid"}}));
    CHECK(err["error_code"].is_string());
    CHECK(err["success"] == false);
    CHECK(err["errors"]["cellphone"] == "is invalid");
    CHECK(err["cellphone"] == "is invalid");
}

TEST_CASE("flattening JSON params into bracket keys") {
    auto flat = authy::flatten_json_params(
        R"({"user":{"email":"a@b.c","country_code":1},"x":[true,null]})");
    REQUIRE(flat.ok());
    CHECK(flat->at("user[email]") == "a@b.c");
    CHECK(flat->at("user[country_code]") == "1");
    CHECK(flat->at("x[0]") == "true");
    CHECK(flat->at("x[1]").empty());
    CHECK(!authy::flatten_json_params("[1]").ok());
}

TEST_CASE("client sends the API key header and decodes") {
    Harness h({reply(200, k_created)});
    CHECK(*h.client->create_user({"a@b.com", "5551230000", 1, false}) == 1635);
    REQUIRE(h.transport->seen.size() == 1);
    const auto& req = h.transport->seen[0];
    CHECK(req.method == "POST");
    CHECK(req.url == "http://127.0.0.1:1/protected/json/users/new");
    bool has_key = false;
    for (const auto& [k, v] : req.headers) {
        has_key |= k == "X-Authy-API-Key" && v == "KEY";
    }
    CHECK(has_key);
}

TEST_CASE("retries: 5xx then success, with doubling back-off") {
    Harness h({reply(503, ""), reply(500, ""), reply(200, k_status)});
    CHECK(h.client->user_status(1).ok());
    CHECK(h.transport->seen.size() == 3);
    REQUIRE(h.slept.size() == 2);
    CHECK(h.slept[1] == 2 * h.slept[0]);
}

TEST_CASE("retries are bounded") {
    Harness h({reply(503, ""), reply(503, ""), reply(503, "")});
    auto r = h.client->user_status(1);
    CHECK(r.error().code == Exit::unavailable);
    CHECK(h.transport->seen.size() == 3);
}

TEST_CASE("429 honours a short Retry-After and gives up on a long one") {
    Harness h({reply(429, "{}", "2"), reply(200, k_created)});
    CHECK(h.client->create_user({"a@b.com", "5551230000", 1, false}).ok());
    REQUIRE(h.slept.size() == 1);
    CHECK(h.slept[0] == std::chrono::seconds(2));
    Harness slow({reply(429, "{}", "3600")});
    auto r = slow.client->create_user({"a@b.com", "5551230000", 1, false});
    CHECK(r.error().code == Exit::rejected);
    CHECK(slow.slept.empty());
}

TEST_CASE("no retry for 4xx or a timed-out request") {
    Harness h({reply(401, k_bad_key)});
    CHECK(h.client->user_status(1).error().code == Exit::rejected);
    CHECK(h.transport->seen.size() == 1);
    HttpResponse timeout;
    timeout.timed_out = true;
    timeout.maybe_sent = true;
    timeout.error = "Timeout";
    Harness t({timeout});
    CHECK(t.client->user_status(1).error().code == Exit::unavailable);
    CHECK(t.transport->seen.size() == 1);
}

TEST_CASE("a refused connection is retried: the request never left") {
    HttpResponse refused;
    refused.error = "Couldn't connect";
    Harness h({refused, reply(200, R"({"message":"ok","success":true})")});
    CHECK(*h.client->delete_user(9));
    CHECK(h.transport->seen.size() == 2);
}

TEST_CASE("delete of a user Authy does not know is not an error") {
    Harness h({reply(404, k_not_found)});
    auto r = h.client->delete_user(9);
    REQUIRE(r.ok());
    CHECK(!*r);
    Harness other({reply(404, R"({"message":"nope","error_code":"60000"})")});
    CHECK(!other.client->delete_user(9).ok());
}
