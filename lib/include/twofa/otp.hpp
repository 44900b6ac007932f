#pragma once
// HOTP (RFC 4226) and TOTP (RFC 6238), Base32 (RFC 4648) and the otpauth:// key URI: the
// codes of the offline TOTP provider and of the sandbox's simulated app.
#include <twofa/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twofa {

enum class OtpHash { sha1, sha256, sha512 };
const char* to_string(OtpHash hash) noexcept;                          // "sha1", "sha256", "sha512"
std::optional<OtpHash> parse_otp_hash(std::string_view name) noexcept; // either case

// HOTP(key, counter) with dynamic truncation, left-padded to `digits` (6-10) digits.
std::string hotp(std::string_view key, std::uint64_t counter, int digits,
                 OtpHash hash = OtpHash::sha1);

// TOTP at unix time `now`: HOTP with counter floor(now / step) (64-bit, so times past 2038
// work).
std::string totp(std::string_view key, std::int64_t now, int digits, int step = 30,
                 OtpHash hash = OtpHash::sha1);

// RFC 4648 Base32, upper case, without padding (as key URIs want it).
std::string base32_encode(std::string_view bytes);
// Decodes Base32 in either case, ignoring spaces and dashes and trailing '=' padding;
// nullopt for any other character or a length no encoder produces.
std::optional<std::string> base32_decode(std::string_view text);

struct KeyUri {
    std::string issuer;  // may be empty
    std::string account; // the user's email
    std::string secret;  // raw bytes
    OtpHash hash = OtpHash::sha1;
    int digits = 6;
    int period = 30;
};

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...,
// label and issuer percent-encoded (RFC 3986 unreserved kept, UTF-8 as bytes). Exit::usage
// when the issuer or account holds a colon (apps split the label on it).
Result<std::string> key_uri(const KeyUri& uri);

} // namespace twofa
