#include <twofa/time_text.hpp>

#include <ctime>

namespace twofa {

std::string utc_text(std::int64_t unix_seconds, const char* format) {
    auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) {
        return "";
    }
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

} // namespace twofa
