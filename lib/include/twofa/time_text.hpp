#pragma once
// Unix time as UTC text, in one place.
#include <cstdint>
#include <string>

namespace twofa {

// strftime(format) of the UTC time; "" when it cannot be formatted.
std::string utc_text(std::int64_t unix_seconds, const char* format = "%Y-%m-%dT%H:%M:%SZ");

} // namespace twofa
