#include <doctest/doctest.h>

#include <twofa/users.hpp>
#include <twofa/validate.hpp>

using namespace twofa;

TEST_CASE("CSV with header, quotes, CRLF and a byte-order mark") {
    auto rows = parse_import("\xEF\xBB\xBF"
                             "email,phone,country_code,name\r\n"
                             "a@example.com,555-123-0000,1,\"Doe, Jane\"\r\n"
                             "\r\n"
                             "b@example.com,5551231111,44,\"Say \"\"hi\"\"\"\n");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].line == 2);
    CHECK((*rows)[0].fields.at("name") == "Doe, Jane");
    CHECK((*rows)[1].line == 4);
    CHECK((*rows)[1].fields.at("name") == "Say \"hi\"");
    CHECK((*rows)[1].fields.at("country_code") == "44");
}

TEST_CASE("CSV columns in any order, password_hash optional") {
    auto rows = parse_import(
        "country_code,password_hash,phone,email\n1,pbkdf2:sha256$s$x,5551230000,a@b.co\n");
    REQUIRE(rows.ok());
    CHECK((*rows)[0].fields.at("email") == "a@b.co");
    CHECK((*rows)[0].fields.at("password_hash") == "pbkdf2:sha256$s$x");
}

TEST_CASE("CSV errors name the line") {
    CHECK(parse_import("email,phone\na@b.co,1\n").error().code == Exit::usage); // no country_code
    CHECK(parse_import("email,phone,country_code,extra\n").error().message.find("extra") !=
          std::string::npos);
    auto short_row = parse_import("email,phone,country_code\na@b.co,5551230000\n");
    REQUIRE(!short_row.ok());
    CHECK(short_row.error().message.find("line 2") != std::string::npos);
    CHECK(!parse_import("email,phone,country_code\n\"a@b.co,1,1\n").ok());
}

TEST_CASE("JSON lines") {
    auto rows = parse_import(
        "{\"email\":\"a@b.co\",\"phone\":\"5551230000\",\"country_code\":1}\n\n"
        "{\"email\":\"c@d.co\",\"phone\":\"5551231111\",\"country_code\":\"44\",\"name\":null}\n");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("country_code") == "1");
    CHECK((*rows)[1].line == 3);
    CHECK(parse_import("{\"email\":\"a@b.co\",\"nope\":1}\n").error().message.find("nope") !=
          std::string::npos);
    auto bad = parse_import("{\"email\":\"a@b.co\"}\n{broken\n");
    REQUIRE(!bad.ok());
    CHECK(bad.error().message.find("line 2") != std::string::npos);
    CHECK(!parse_import("{\"email\":[1]}\n").ok());
}

TEST_CASE("user fields are validated together") {
    CHECK(validate_user_fields({"a@b.co", "555 123 0000", "1", "A", ""}).ok());
    CHECK(validate_user_fields({"a@b.co", "12", "1", "", ""}).error().message.find("phone") !=
          std::string::npos);
    CHECK(validate_user_fields({"a@b.co", "5551230000", "0", "", ""})
              .error()
              .message.find("country") != std::string::npos);
    CHECK(validate_user_fields({"nope", "5551230000", "1", "", ""}).error().code == Exit::usage);
    CHECK(validate_user_fields({"a@b.co", "5551230000", "1", "", "alice"}).value().unix_user ==
          "alice");
    for (const char* bad :
         {"Alice", "1abc", "a b", "a/b", "-x", "abcdefghijklmnopqrstuvwxyz0123456789"}) {
        CHECK(validate_user_fields({"a@b.co", "5551230000", "1", "", bad}).error().code ==
              Exit::usage);
    }
    CHECK(validate_unix_user("_svc-1$").ok());
}
