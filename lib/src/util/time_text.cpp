#include <twofa/time_text.hpp>

#include <cstring>
#include <ctime>

namespace twofa {

std::string utc_text(std::int64_t unix_seconds, const char* format) {
    auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) {
        return "";
    }
    const int year = tm.tm_year + 1900;
    if (std::strcmp(format, "%Y-%m-%dT%H:%M:%SZ") == 0 && year >= 0 && year <= 9999) {
        // The ISO 8601 form every listing prints once per row, without strftime's locale
        // machinery (7 % of a 100k-user `user list --json` in a profile).
        std::string iso = "0000-00-00T00:00:00Z";
        auto two = [&](std::size_t at, int v) {
            iso[at] = static_cast<char>('0' + v / 10);
            iso[at + 1] = static_cast<char>('0' + v % 10);
        };
        two(0, year / 100);
        two(2, year % 100);
        two(5, tm.tm_mon + 1);
        two(8, tm.tm_mday);
        two(11, tm.tm_hour);
        two(14, tm.tm_min);
        two(17, tm.tm_sec);
        return iso;
    }
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

} // namespace twofa
