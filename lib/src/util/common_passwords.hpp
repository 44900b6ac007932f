#pragma once
// Common passwords (8+ characters, lower case) from public breach-frequency lists;
// NIST SP 800-63B asks new passwords to be checked against such a list.
#include <algorithm>
#include <array>
#include <string_view>

namespace twofa::detail {

inline constexpr std::array<std::string_view, 134> k_common_passwords{
    "00000000",    "11111111",     "11223344",     "123123123",    "12341234",     "123454321",
    "12345678",    "123456789",    "1234567890",   "12345678910",  "1234abcd",     "1234qwer",
    "123qweasd",   "12qwaszx",     "1q2w3e4r",     "1q2w3e4r5t",   "1qaz2wsx",     "22222222",
    "33333333",    "44444444",     "55555555",     "66666666",     "77777777",     "87654321",
    "88888888",    "987654321",    "99999999",     "999999999",    "a1234567",     "a12345678",
    "aa123456",    "abc12345",     "abcd1234",     "abcdefgh",     "admin123",     "administrator",
    "andrew123",   "arsenal1",     "asdfasdf",     "asdfghjkl",    "ashley123",    "authy123",
    "autumn2024",  "babygirl1",    "baseball",     "baseball1",    "basketball",   "batman123",
    "changeme",    "changeme1",    "charlie1",     "chelsea1",     "computer",     "corvette",
    "daniel123",   "default1",     "dragon123",    "football",     "football1",    "freedom1",
    "guest123",    "hello123",     "iloveu123",    "iloveyou",     "iloveyou1",    "internet",
    "jennifer",    "jessica1",     "jordan23",     "joshua123",    "letmein!",     "letmein1",
    "letmein123",  "liverpool",    "lovely123",    "master123",    "matthew1",     "mercedes",
    "michael1",    "michelle1",    "monkey123",    "mypassword",   "nicole123",    "p@ssw0rd",
    "p@ssword",    "passw0rd",     "password",     "password!",    "password1",    "password12",
    "password123", "password1234", "password2024", "password2025", "password2026", "pokemon1",
    "princess",    "princess1",    "q1w2e3r4",     "q1w2e3r4t5",   "qazwsxedc",    "qwer1234",
    "qwerty12",    "qwerty123",    "qwerty1234",   "qwertyui",     "qwertyuiop",   "samantha",
    "sandbox123",  "secret123",    "shadow123",    "spring2024",   "starwars",     "starwars1",
    "summer2024",  "summer2025",   "summer2026",   "sunshine",     "superman",     "test1234",
    "test12345",   "testtest",     "trustno1",     "twofa123",     "welcome!",     "welcome1",
    "welcome123",  "whatever",     "winter2024",   "winter2025",   "winter2026",   "zaq12wsx",
    "zxcvbnm1",    "zxcvbnm123",
};

// True when the lower-cased password is on the list (kept sorted for binary search).
inline bool is_common_password(std::string_view lowered) {
    return std::binary_search(k_common_passwords.begin(), k_common_passwords.end(), lowered);
}

} // namespace twofa::detail
