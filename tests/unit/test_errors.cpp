#include <doctest/doctest.h>

#include <twofa/error.hpp>
#include <twofa/result.hpp>

#include <set>
#include <string>

using namespace twofa;

TEST_CASE("the exit-code table matches the contract") {
    std::size_t n = 0;
    const Exit* codes = all_exits(n);
    REQUIRE(n == 14);
    const std::pair<int, const char*> expected[] = {
        {0, "OK"},      {1, "DENIED"},    {2, "USAGE"},     {3, "PENDING"},      {4, "EXPIRED"},
        {5, "LOCKED"},  {6, "NOT_FOUND"}, {7, "CONFLICT"},  {8, "UNAVAILABLE"},  {9, "REJECTED"},
        {10, "CONFIG"}, {11, "STORE"},    {12, "INTERNAL"}, {130, "INTERRUPTED"}};
    for (std::size_t i = 0; i < n; ++i) {
        CHECK(static_cast<int>(codes[i]) == expected[i].first);
        CHECK(std::string(exit_name(codes[i])) == expected[i].second);
    }
    CHECK(std::string(exit_name(static_cast<Exit>(77))) == "INTERNAL");
}

TEST_CASE("error text carries the hint in parentheses") {
    CHECK(make_error(Exit::usage, "bad", "fix it").text() == "bad (fix it)");
    CHECK(make_error(Exit::usage, "bad").text() == "bad");
}

TEST_CASE("Result holds a value or an error") {
    Result<int> good = 3;
    Result<int> bad = make_error(Exit::store, "disk");
    CHECK(good.ok());
    CHECK(*good == 3);
    CHECK(!bad.ok());
    CHECK(bad.error().code == Exit::store);
    CHECK_THROWS_AS(bad.value(), Failure);
    Status s = make_error(Exit::locked, "later");
    CHECK(!s.ok());
    CHECK(Status{}.ok());
}

#include <fstream>
#include <sstream>

TEST_CASE("the man page lists the same exit-code table") {
    std::ifstream in(TWOFA_SOURCE_DIR "/man/twofa.1");
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    auto page = text.str();
    auto start = page.find(".SH EXIT STATUS");
    REQUIRE(start != std::string::npos);
    auto section = page.substr(start, page.find(".TE", start) - start);
    std::size_t n = 0;
    const Exit* codes = all_exits(n);
    std::size_t rows = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto row =
            "\n" + std::to_string(static_cast<int>(codes[i])) + "\t" + exit_name(codes[i]) + "\t";
        CHECK_MESSAGE(section.find(row) != std::string::npos, row);
        rows += section.find(row) != std::string::npos ? 1U : 0U;
    }
    CHECK(rows == n);
}
