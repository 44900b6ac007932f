// The one helper each for hex, constant-time comparison, URLs, HOST:PORT and the clock.
#include <doctest/doctest.h>

#include <twofa/util.hpp>

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
