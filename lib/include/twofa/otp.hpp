#pragma once
// HOTP (RFC 4226) and TOTP (RFC 6238): the codes the sandbox's simulated Authy app shows, and
// the offline TOTP provider to come.
#include <cstdint>
#include <string>
#include <string_view>

namespace twofa {

enum class OtpHash { sha1, sha256, sha512 };

// HOTP(key, counter) with dynamic truncation, left-padded to `digits` (6-10) digits.
std::string hotp(std::string_view key, std::uint64_t counter, int digits,
                 OtpHash hash = OtpHash::sha1);

// TOTP at unix time `now`: HOTP with counter floor(now / step) (64-bit, so times past 2038
// work).
std::string totp(std::string_view key, std::int64_t now, int digits, int step = 30,
                 OtpHash hash = OtpHash::sha1);

} // namespace twofa
