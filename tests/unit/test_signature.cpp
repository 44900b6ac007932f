// The OneTouch callback canonicaliser and signature against every vector of
// authy-protocol.md §2.4, and tampering with each part.
#include <doctest/doctest.h>

#include "json_flatten_reference.hpp"
#include "signature_vectors.hpp"

#include <twofa/authy/signature.hpp>
#include <twofa/authy/wire.hpp>

#include <nlohmann/json.hpp>

using namespace twofa;
using namespace twofa::authy;

namespace {
std::string sign_json(const std::string& key, const std::string& nonce, const std::string& method,
                      const std::string& url, const std::string& body) {
    return sign_callback(key, nonce, method, url, canonical_json_params(body).value());
}
} // namespace

TEST_CASE("V1: flat params, POST and GET") {
    const std::string key = "mTIn3Dq5HrF7r84rNTA0OrHys077egq3";
    const std::string url = "https://api.authy.com/dashboard/json/application/webhooks";
    const std::string body = R"({"b":"val|ue&2","a":"value1"})";
    CHECK(canonical_json_params(body).value() == "a=value1&b=val%7Cue%262");
    CHECK(sign_json(key, "1427849783.886085", "POST", url, body) ==
          "2CT+wezo66Br1U24xZpowp0AuPioH8s+nQVCWA01/PA=");
    // A GET callback carries the same params in its query string.
    auto pairs = form_decode("b=val%7Cue%262&a=value1");
    CHECK(sign_callback(key, "1427849783.886085", "GET", url, canonical_flat_params(pairs)) ==
          "Sm7Qi5toEQThBH3ZiKWKiXRfr2XRctK6cn8C73lS0dU=");
}

TEST_CASE("V2: nested objects and a space") {
    CHECK(canonical_json_params(R"({"foo":{"bar":{"biz":"foo"}},"qux":"net"})").value() ==
          "foo%5Bbar%5D%5Bbiz%5D=foo&qux=net");
    CHECK(sign_json("foo", "1455825429", "POST", "https://foo.bar/",
                    R"({"foo":{"bar":{"biz":"foo"}},"qux":"net"})") ==
          "uq/wB8AR1Acvn0wFcjm7mmBJyR11nuuMhMy6semsAO8=");
    CHECK(sign_json("foo", "1455825429", "POST", "https://foo.bar/",
                    R"({"foo":{"bar":{"biz":"foo bar"}},"qux":"net"})") ==
          "+fyGys+d5yNJx9SpeKZdf+N77od1t1cC/fVSWDW2+kY=");
}

TEST_CASE("V3: a full callback with booleans, an empty list, '/' and '+' (POST and GET)") {
    const std::string key = "FiN2b11qH5863GvXNSV8Hwqpnq2bqUXL";
    const std::string url = "https://b79d6f66.ngrok.io/authy/authy-php/callback.php";
    CHECK(sign_json(key, "1496419140", "POST", url, k_v3_body) ==
          "cPv9SU6m3X6nAt8s/x2OiYuE5Dek6KOIpRQc7ut7+AQ=");
    // The GET variant: booleans and authy_id as strings, no device_details.
    auto j = nlohmann::json::parse(k_v3_body);
    auto& tx = j["approval_request"]["transaction"];
    tx["encrypted"] = "false";
    tx["flagged"] = "false";
    tx.erase("device_details");
    j["authy_id"] = "1234";
    CHECK(sign_json(key, "1496419257", "GET", url, j.dump()) ==
          "wCnHmjVGhbdy5wJ13hPgigTqKirML4rqHYQsQ6GkgcM=");
}

TEST_CASE("V4: a real Authy callback: null, {} dropped, '+', '/', '=' in the device signature") {
    CHECK(canonical_json_params(k_v4_body).value() == k_v4_canonical);
    CHECK(sign_json("FU10H0uCafgKnXvPfDm5iAisVuHDgXJA", "1512923419", "POST",
                    "https://requestb.in/ui9vdiui",
                    k_v4_body) == "6uKAaKxCkkFEyQujwdudyPNUgRi2fY5otoCOQN7VjCw=");
}

TEST_CASE("canonicalisation details") {
    // Lists: indices become [] after sorting; booleans inside lists print like Python.
    CHECK(canonical_json_params(R"({"l":[true,false,"x"],"e":[],"o":{},"n":null})").value() ==
          "l%5B%5D=True&l%5B%5D=False&l%5B%5D=x&n=");
    CHECK(
        canonical_json_params(R"({"logos":[{"res":"default","url":"https://a/b.png"}]})").value() ==
        "logos%5B%5D%5Bres%5D=default&logos%5B%5D%5Burl%5D=https%3A%2F%2Fa%2Fb.png");
    CHECK(canonical_json_params(R"({"k":"a b+c/d~e*"})").value() == "k=a+b%2Bc%2Fd~e%2A");
    CHECK(canonical_json_params(R"({"k":"Nonexistent"})").value() == "k=Nonexistent");
    CHECK(canonical_json_params(R"({"é":"ü"})").value() == "%C3%A9=%C3%BC");
    CHECK(canonical_json_params("[1,2]").error().code == Exit::usage);
    CHECK(canonical_json_params("not json").error().code == Exit::usage);
    CHECK(canonical_json_params(R"("text")").error().code == Exit::usage);
    // Numbers as Python prints them; an empty key at the top still brackets its children
    // (the reference tells "no parent" from "an empty parent").
    CHECK(canonical_json_params(R"({"i":-7,"u":18446744073709551615,"f":0.5,"g":1e300})").value() ==
          "f=0.5&g=1e%2B300&i=-7&u=18446744073709551615");
    CHECK(canonical_json_params(R"({"":{"a":1}})").value() == "%5Ba%5D=1");
}

TEST_CASE("a key repeated within one object is refused, the same name elsewhere is not") {
    // Parsers disagree on which of two values wins: a signed body must mean one thing.
    auto twice = canonical_json_params(R"({"status":"denied","uuid":"u","status":"approved"})");
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().code == Exit::usage);
    CHECK(twice.error().message.find("repeats a key") != std::string::npos);
    CHECK_FALSE(canonical_json_params(R"({"a":{"x":1,"y":2,"x":3}})").ok());
    CHECK(canonical_json_params(R"({"x":{"x":1},"y":[{"x":2},{"x":3}]})").value() ==
          "x%5Bx%5D=1&y%5B%5D%5Bx%5D=2&y%5B%5D%5Bx%5D=3");
}

TEST_CASE("flattening stays linear on a wide body") {
    // 20,000 distinct keys in one object: sorted once when it closes, not compared pairwise.
    std::string body = "{";
    for (int i = 0; i < 20000; ++i) {
        body += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\":1";
    }
    body += "}";
    auto pairs = flatten_json_callback(body);
    REQUIRE(pairs.ok());
    CHECK(pairs->size() == 20000);
}

TEST_CASE("the flattener agrees with nlohmann's parser on every input, valid or not") {
    // Seeds with each kind of token and edge, then random mutations of them: the pairs (or
    // the refusal and its reason) must be the same as the SAX-based flattener's. The
    // listener's one-pass canonical form must be the one made from those pairs, and the
    // fields must read the same from its top-level pairs as from all of them.
    // Each seed is one string, its literals split for width.
    std::vector<std::string> seeds{
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
        R"({"authy_id":12345,"uuid":"8f1c9b6e-2a47","status":"approved","approval_request":)"
        R"({"transaction":{"details":{"Email":"x@example.com"},"device_details":{},"encrypted":)"
        R"(false,"hidden_details":null,"logos":[true,false,null,{"a":[1,[2,3]]}]}}})",
        R"({"callback_action":"approval_request_status","authy_id":7,"uuid":"8f1c","status":"denied",)"
        R"("approval_request":{"transaction":{"details":{"Email":"x@example.com"},"reason":""}}})",
        R"({"n":[0,-0,1,-1,18446744073709551615,18446744073709551616,-9223372036854775808,)"
        R"(-9223372036854775809,1.5,-0.0,1e2,1E-2,2.5e+3,1e999,123456789012345678901234567890]})",
        R"({"s":"a\"b\\c\/d\be\ff\ng\rh\ti","u":"\u00e9\u20ac\ud83d\ude00\u0000","raw":"é€😀"})",
        R"({"bad":"\ud800","also":"\udc00x","hex":"\u12G4"})",
        " \t\n\r{ \"a\" : [ ] , \"b\" : { } , \"c\" : \"\" } \n",
        R"({"k":1,"k":2})",
        R"({"a":{"b":{"c":{"d":[[[[{"e":"deep"}]]]]}}}})",
        R"([1,2])",
        R"("top")",
        R"({"a":1}x)",
        R"({"a":01})",
        R"({"a":1.})",
        R"({"a":.5})",
        R"({"a":+1})",
        R"({"a":tru})",
        std::string("{\"a\":\"ctl\x01\"}"),
        std::string("{\"a\":\"\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80\"}"),
        std::string(40, '[') + std::string(40, ']'),
        "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}",
        "",
    };
    const std::string alphabet = "{}[]\",:\\ -+.0123456789eEtrufalsnu\x01\x7f\xc3\xa9\xed\xf0";
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    std::vector<std::string> inputs = seeds;
    for (int round = 0; round < 20000; ++round) {
        std::string s = seeds[next() % seeds.size()];
        for (std::uint64_t edits = 1 + next() % 3; edits > 0; --edits) {
            std::size_t at = s.empty() ? 0 : next() % (s.size() + 1);
            char c = alphabet[next() % alphabet.size()];
            switch (next() % 3) {
            case 0:
                s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
                break;
            case 1:
                if (at < s.size()) {
                    s[at] = c;
                }
                break;
            default:
                if (at < s.size()) {
                    s.erase(at, 1);
                }
            }
        }
        inputs.push_back(std::move(s));
    }
    int accepted = 0;
    int decoded = 0;
    for (const std::string& body : inputs) {
        auto ours = flatten_json_callback(body);
        auto theirs = reference::flatten(body);
        INFO(body);
        REQUIRE(ours.ok() == theirs.ok());
        auto fused = canonical_json_callback(body);
        REQUIRE(fused.ok() == ours.ok());
        if (ours.ok()) {
            ++accepted;
            CHECK(*ours == *theirs);
            CHECK(fused->canonical == canonical_flat_params(*ours));
            auto from_all = decode_callback_params(*ours);
            auto from_top = decode_callback_params(fused->top);
            REQUIRE(from_all.ok() == from_top.ok());
            if (from_all.ok()) {
                ++decoded;
                CHECK(from_all->authy_id == from_top->authy_id);
                CHECK(from_all->uuid == from_top->uuid);
                CHECK(from_all->status == from_top->status);
            } else {
                CHECK(from_all.error().message == from_top.error().message);
            }
        } else {
            CHECK(ours.error().message == theirs.error().message);
            CHECK(fused.error().message == ours.error().message);
        }
    }
    CHECK(accepted > 1000); // the mutations kept enough valid bodies to compare pairs
    CHECK(decoded > 100);   // and enough whole callbacks to compare their fields
}

TEST_CASE("form decoding") {
    CHECK(form_decode("a=1&&b=x+y%2F&c") ==
          std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x y/"}, {"c", ""}});
}

TEST_CASE("tampering with any part breaks the signature") {
    const std::string key = "FU10H0uCafgKnXvPfDm5iAisVuHDgXJA";
    const std::string url = "https://requestb.in/ui9vdiui";
    const std::string good = sign_json(key, "1512923419", "POST", url, k_v4_body);
    CHECK(signatures_equal(good, "6uKAaKxCkkFEyQujwdudyPNUgRi2fY5otoCOQN7VjCw="));
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923420", "POST", url, k_v4_body), good));
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "GET", url, k_v4_body), good));
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "post", url, k_v4_body), good));
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "POST", url + "/", k_v4_body), good));
    CHECK_FALSE(signatures_equal(
        sign_json(key, "1512923419", "POST", "http://requestb.in/ui9vdiui", k_v4_body), good));
    CHECK_FALSE(signatures_equal(sign_json(key + "x", "1512923419", "POST", url, k_v4_body), good));
    auto j = nlohmann::json::parse(k_v4_body);
    j["status"] = "denied";
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "POST", url, j.dump()), good));
    j = nlohmann::json::parse(k_v4_body);
    j["authy_id"] = 688612;
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "POST", url, j.dump()), good));
    j = nlohmann::json::parse(k_v4_body);
    j["extra"] = "field";
    CHECK_FALSE(signatures_equal(sign_json(key, "1512923419", "POST", url, j.dump()), good));
    CHECK_FALSE(signatures_equal(good, good.substr(0, good.size() - 1)));
    CHECK_FALSE(signatures_equal(good, ""));
}
