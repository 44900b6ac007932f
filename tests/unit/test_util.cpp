// The one helper each for hex, constant-time comparison, URLs, HOST:PORT and the clock.
#include <doctest/doctest.h>

#include <twofa/time_text.hpp>
#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace twofa;

TEST_CASE("hex: lower case out, either case in, strict") {
    CHECK(to_hex(std::string("\x00\x7f\xff", 3)) == "007fff");
    CHECK(from_hex("007FfF").value() == std::string("\x00\x7f\xff", 3));
    CHECK(!from_hex("abc").ok());
    CHECK(!from_hex("zz").ok());
    CHECK(from_hex("").value().empty());
}

TEST_CASE("constant-time equality is equality") {
    CHECK(equal_constant_time("abc", "abc"));
    CHECK(equal_constant_time("", ""));
    CHECK_FALSE(equal_constant_time("abc", "abd"));
    CHECK_FALSE(equal_constant_time("abc", "ab"));
}

// RFC 4231 and RFC 2202 vectors, interleaved so that each call changes the hash or the key of
// the thread's cached MAC context, then repeated (the cached context reused), and on threads.
TEST_CASE("HMAC: the RFC vectors, whatever the previous call's hash and key were") {
    const std::string jefe = "Jefe";
    const std::string what = "what do ya want for nothing?";
    const std::string long_key(131, '\xaa');
    const std::string long_data = "Test Using Larger Than Block-Size Key - Hash Key First";
    auto check_all = [&] {
        for (int round = 0; round < 2; ++round) {
            CHECK(hmac_base64(HmacHash::sha256, jefe, what) ==
                  "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
            CHECK(hmac_base64(HmacHash::sha256, jefe, what) ==
                  "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
            CHECK(hmac_base64(HmacHash::sha1, jefe, what) == "7/zfauXrL6LSdBbV8YTfnCWafHk=");
            CHECK(hmac_base64(HmacHash::sha256, "", "") ==
                  "thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
            CHECK(hmac_base64(HmacHash::sha256, long_key, long_data) ==
                  "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q=");
            CHECK(hmac_base64(HmacHash::sha256, "Jef", what) !=
                  "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        }
    };
    check_all();
    std::vector<std::thread> threads;
    threads.reserve(2);
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back(check_all);
    }
    for (std::thread& t : threads) {
        t.join();
    }
}

TEST_CASE("URLs through libcurl's parser") {
    auto u = parse_url("https://Login.Example.com:8443/authy/callback").value();
    CHECK(u.scheme == "https");
    CHECK(u.port == 8443);
    CHECK(u.path == "/authy/callback");
    CHECK_FALSE(u.has_query_or_fragment);
    CHECK(parse_url("http://[::1]/x").value().host == "::1");
    CHECK(parse_url("http://127.0.0.1/").value().port == 80);
    CHECK(parse_url("https://h/p?q=1").value().has_query_or_fragment);
    CHECK(parse_url("https://user:pw@h/").value().has_user_info);
    CHECK(parse_url("ftp://h/").error().code == Exit::usage);
    CHECK(!parse_url("not a url").ok());
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("localhost"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.example.com"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
}

TEST_CASE("HOST:PORT, with brackets for IPv6") {
    auto hp = parse_host_port("127.0.0.1:8080").value();
    CHECK(hp.host == "127.0.0.1");
    CHECK(hp.port == 8080);
    CHECK(parse_host_port("[::1]:0").value().host == "::1");
    for (const char* bad : {"8080", ":8080", "h:", "h:65536", "h:-1", "h:80x", "::1:80"}) {
        CAPTURE(bad);
        CHECK(parse_host_port(bad).error().code == Exit::usage);
    }
    CHECK(host_port_text("::1", 80) == "[::1]:80");
    CHECK(host_port_text("h", 80) == "h:80");
}

TEST_CASE("the clock is the wall clock") {
    CHECK(unix_now() > 1'700'000'000);
    CHECK(unix_now_precise() - static_cast<double>(unix_now()) < 2.0);
}

TEST_CASE("append_json_string writes what nlohmann's dump writes, invalid UTF-8 included") {
    // Pieces that a string can be made of: plain, escaped, multi-byte, and broken UTF-8 (a
    // cut sequence, a lone continuation byte, 0xFF, a surrogate, an overlong form).
    const std::vector<std::string> pieces = {"a",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\t",
                                             "\x01",
                                             "\x7f",
                                             "/",
                                             "\b",
                                             "\f",
                                             "\r",
                                             "\x1f",
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80",
                                             "\xe2\x82",
                                             "\x80",
                                             "\xff",
                                             "\xed\xa0\x80",
                                             "\xc0\xaf",
                                             "\xf4\x90\x80\x80",
                                             "\xf0\x9f"};
    std::mt19937 rng(7); // fixed: the same strings every run
    for (int k = 0; k < 20000; ++k) {
        std::string text;
        for (auto n = rng() % 6; n > 0; --n) {
            text += pieces[rng() % pieces.size()];
        }
        std::string mine;
        append_json_string(mine, text);
        const std::string theirs =
            nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        REQUIRE(mine == theirs);
    }
}

TEST_CASE("JsonObjectWriter writes what a document's dump writes, field by field") {
    std::string empty;
    JsonObjectWriter(empty).close();
    CHECK(empty == "{}");
    std::string out = "prefix ";
    JsonObjectWriter(out)
        .text("a \"key\"", "caf\xc3\xa9\n")
        .number("n", -9007199254740993)
        .boolean("t", true)
        .boolean("f", false)
        .text("e", "")
        .close();
    const nlohmann::json doc = {{"a \"key\"", "caf\xc3\xa9\n"},
                                {"n", std::int64_t{-9007199254740993}},
                                {"t", true},
                                {"f", false},
                                {"e", ""}};
    // The document sorts its keys; the writer keeps the order it is given.
    CHECK(out == "prefix " + std::string(R"({"a \"key\"":"café\n","n":-9007199254740993,)") +
                     R"("t":true,"f":false,"e":""})");
    CHECK(nlohmann::json::parse(out.substr(7)) == doc);
}

TEST_CASE("utc_text's ISO form is strftime's, leap days and the years around 1970 included") {
    std::mt19937_64 rng(11);
    std::vector<std::int64_t> times = {0,          -1,         951782400,   951868799,
                                       4107542399, 1700000000, 253402300799};
    for (int k = 0; k < 20000; ++k) {
        times.push_back(static_cast<std::int64_t>(rng() % 253402300800ULL) - 86400);
    }
    for (std::int64_t t : times) {
        // Another format takes strftime's path: the fast one must agree with it.
        REQUIRE(utc_text(t) == utc_text(t, "%Y-%m-%dT%H:%M:%S") + "Z");
    }
}
