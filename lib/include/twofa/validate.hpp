#pragma once
// Input validation for everything a user or a file hands us. Each check returns the
// normalised value or an Error with Exit::usage and a hint.
#include <twofa/result.hpp>

#include <string>
#include <string_view>

namespace twofa {

// Trims and checks an email address (RFC 5321 lengths, a plain local@domain.tld shape).
Result<std::string> validate_email(std::string_view email);

// Removes spaces, dashes, dots and parentheses; requires 4-15 digits.
Result<std::string> validate_phone(std::string_view phone);

// Parses a country calling code, 1-999 (a leading '+' is accepted).
Result<int> validate_country_code(std::string_view text);

// A display name: at most 256 characters (code points), no control characters.
Result<std::string> validate_name(std::string_view name);

// A new password: 8-128 characters, not a common password, not the email itself.
Status validate_new_password(std::string_view password, std::string_view email);

// A Unix account name as useradd accepts it: 1-32 characters of [a-z0-9_-] starting with a
// letter or '_' (a trailing '$' allowed). Exit::usage otherwise.
Result<std::string> validate_unix_user(std::string_view name);

// A one-time code: 6-10 ASCII digits, nothing else (no trimming). Checked before any request,
// so a code can never steer a URL path (the 2015 "../sms" bypass).
Result<std::string> validate_code(std::string_view code);

// Number of UTF-8 code points, or -1 for invalid UTF-8.
long utf8_length(std::string_view s);

// Removes control characters (C0, DEL, C1 and ESC sequences' introducers) from text that came
// from outside, so it cannot drive the terminal.
std::string strip_control(std::string_view s);

// "+1 ***-***-1234": country code and the last four digits only.
std::string mask_phone(int country_code, std::string_view digits);
// The whole number in the masked form's grouping: "+1 555-123-0000" (more than 7 digits:
// the rest, then 3, then the last 4; fewer: the digits as they are).
std::string format_phone(int country_code, std::string_view digits);
// "a***@example.com": the first character of the local part and the domain.
std::string mask_email(std::string_view email);

// ASCII lower case.
std::string lower(std::string_view s);

} // namespace twofa
