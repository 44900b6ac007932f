#include <doctest/doctest.h>

#include <twofa/validate.hpp>

using namespace twofa;

TEST_CASE("email validation") {
    CHECK(*validate_email("  alice@example.com ") == "alice@example.com");
    CHECK(validate_email("a.b+tag@sub.example.co").ok());
    for (const char* bad :
         {"", "alice", "alice@", "@example.com", "a@b", "a@@b.com", "a b@c.com", "a..b@c.com",
          ".a@c.com", "a@-c.com", "a@c.123", "a@c..com", "a\x01@c.com", "a@c.com\n"}) {
        auto r = validate_email(bad);
        CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) {
            CHECK(r.error().code == Exit::usage);
            CHECK(!r.error().hint.empty());
        }
    }
    CHECK(!validate_email(std::string(65, 'a').append("@example.com")).ok());
    CHECK(!validate_email("a@" + std::string(250, 'b') + ".com").ok());
}

TEST_CASE("phone validation strips separators and counts digits") {
    CHECK(*validate_phone("(555) 123-45.67") == "5551234567");
    CHECK(*validate_phone("1234") == "1234");
    CHECK(*validate_phone("123456789012345") == "123456789012345");
    CHECK(!validate_phone("123").ok());
    CHECK(!validate_phone("1234567890123456").ok());
    CHECK(!validate_phone("555-12a-4567").ok());
    CHECK(!validate_phone("+15551234567").ok());
    CHECK(validate_phone("12/34").error().code == Exit::usage);
}

TEST_CASE("country code is 1 to 999") {
    CHECK(*validate_country_code("1") == 1);
    CHECK(*validate_country_code("+44") == 44);
    CHECK(*validate_country_code("999") == 999);
    for (const char* bad : {"0", "1000", "", "-1", "1a", "abc", "+", " 12x"}) {
        CHECK_MESSAGE(!validate_country_code(bad).ok(), bad);
    }
}

TEST_CASE("name: at most 256 code points, no control characters") {
    CHECK(validate_name(std::string(256, 'x')).ok());
    CHECK(!validate_name(std::string(257, 'x')).ok());
    std::string accented;
    for (int i = 0; i < 256; ++i) {
        accented += "\xC3\xA9"; // 256 x U+00E9, 512 bytes
    }
    CHECK(validate_name(accented).ok());
    CHECK(!validate_name("bad\x1b[31m").ok());
    CHECK(!validate_name("\xff\xfe").ok());
}

TEST_CASE("new password rules") {
    CHECK(validate_new_password("correct horse battery", "a@b.com").ok());
    CHECK(!validate_new_password("short", "a@b.com").ok());
    CHECK(!validate_new_password(std::string(129, 'x'), "a@b.com").ok());
    CHECK(validate_new_password(std::string(128, 'x'), "a@b.com").ok());
    CHECK(!validate_new_password("Password123", "a@b.com").ok()); // common, any case
    CHECK(!validate_new_password("qwertyuiop", "a@b.com").ok());
    CHECK(!validate_new_password("Alice@Example.com", "alice@example.com").ok());
}

TEST_CASE("strip_control removes C0, DEL and C1 controls but keeps UTF-8 text") {
    CHECK(strip_control("a\x1b[2Jb\x7f\r\n") == "a[2Jb");
    CHECK(strip_control("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(strip_control("x\xC2\x9By") == "xy");
}

TEST_CASE("phone masking shows the country code and last four digits only") {
    CHECK(mask_phone(1, "5551230000") == "+1 ***-***-0000");
    CHECK(mask_phone(44, "12") == "+44 ***-***-****");
}
