#include <twofa/validate.hpp>

#include "util/common_passwords.hpp"

#include <algorithm>
#include <charconv>

namespace twofa {

namespace {

Error usage(std::string message, std::string hint) {
    return make_error(Exit::usage, std::move(message), std::move(hint));
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool valid_local_part(std::string_view local) {
    if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') {
        return false;
    }
    static constexpr std::string_view k_extra = "!#$%&'*+/=?^_`{|}~.-";
    char prev = 0;
    for (char c : local) {
        if (!is_alnum(c) && k_extra.find(c) == std::string_view::npos) {
            return false;
        }
        if (c == '.' && prev == '.') {
            return false;
        }
        prev = c;
    }
    return true;
}

bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
        return false;
    }
    std::size_t start = 0;
    while (start <= domain.size()) {
        auto end = domain.find('.', start);
        if (end == std::string_view::npos) {
            end = domain.size();
        }
        auto label = domain.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        if (!std::all_of(label.begin(), label.end(),
                         [](char c) { return is_alnum(c) || c == '-'; })) {
            return false;
        }
        start = end + 1;
    }
    auto tld = domain.substr(domain.rfind('.') + 1);
    return std::any_of(tld.begin(), tld.end(), [](char c) { return !(c >= '0' && c <= '9'); });
}

} // namespace

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

Result<std::string> validate_email(std::string_view email) {
    email = trim(email);
    const std::string hint = "give an address like name@example.com";
    if (email.empty()) {
        return usage("email is empty", hint);
    }
    if (email.size() > 254) {
        return usage("email is longer than 254 characters", hint);
    }
    auto at = email.rfind('@');
    if (at == std::string_view::npos || email.find('@') != at) {
        return usage("email '" + strip_control(email) + "' is not a valid address", hint);
    }
    if (!valid_local_part(email.substr(0, at)) || !valid_domain(email.substr(at + 1))) {
        return usage("email '" + strip_control(email) + "' is not a valid address", hint);
    }
    return std::string(email);
}

Result<std::string> validate_phone(std::string_view phone) {
    std::string digits;
    for (char c : trim(phone)) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return usage("phone number contains '" + strip_control(std::string(1, c)) + "'",
                         "use digits only, without the country code; spaces, dashes, dots and "
                         "parentheses are allowed");
        }
    }
    if (digits.size() < 4 || digits.size() > 15) {
        return usage("phone number must have 4 to 15 digits (has " + std::to_string(digits.size()) +
                         ")",
                     "give the national number without the country code");
    }
    return digits;
}

Result<int> validate_country_code(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 ||
        value > 999) {
        return usage("country code '" + strip_control(text) + "' is not a number from 1 to 999",
                     "e.g. 1 for the US, 44 for the UK");
    }
    return value;
}

Result<std::string> validate_code(std::string_view code) {
    bool digits =
        std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || code.size() < 6 || code.size() > 10) {
        return usage("a code is 6 to 10 digits",
                     "type the digits from the SMS, the call or the Authy app");
    }
    return std::string(code);
}

long utf8_length(std::string_view s) {
    long count = 0;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xE  ? 3
                          : (c >> 3) == 0x1E ? 4
                                             : 0;
        if (len == 0 || i + len > s.size()) {
            return -1;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
                return -1;
            }
        }
        i += len;
        ++count;
    }
    return count;
}

Result<std::string> validate_name(std::string_view name) {
    name = trim(name);
    auto len = utf8_length(name);
    if (len < 0) {
        return usage("name is not valid UTF-8", "check the file's encoding");
    }
    if (len > 256) {
        return usage("name is longer than 256 characters", "shorten it");
    }
    if (strip_control(name) != name) {
        return usage("name contains control characters or invisible formatting characters "
                     "(bidirectional overrides, isolates, zero-width characters)",
                     "remove them");
    }
    return std::string(name);
}

Status validate_new_password(std::string_view password, std::string_view email) {
    auto len = utf8_length(password);
    if (len < 0) {
        return usage("password is not valid UTF-8", "type it again");
    }
    if (len < 8 || len > 128) {
        return usage("password must be 8 to 128 characters long", "choose a longer passphrase");
    }
    if (lower(password) == lower(email)) {
        return usage("password must not be the email address", "choose another password");
    }
    if (detail::is_common_password(lower(password))) {
        return usage("password is too common", "choose a password that is not on breach lists");
    }
    return {};
}

namespace {

// The UTF-8 length of an invisible character that reorders or hides text at s[i] (bidi
// embeddings, overrides and isolates, zero-width characters, line and paragraph
// separators, the byte-order mark), or 0.
std::size_t spoofing_char_at(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0U;
    };
    unsigned a = at(0);
    unsigned b = at(1);
    unsigned c = at(2);
    if (a == 0xD8 && b == 0x9C) {
        return 2; // U+061C ARABIC LETTER MARK
    }
    if (a == 0xE2 && b == 0x80 && ((c >= 0x8B && c <= 0x8F) || (c >= 0xA8 && c <= 0xAE))) {
        return 3; // U+200B..U+200F, U+2028..U+202E
    }
    if (a == 0xE2 && b == 0x81 && c >= 0xA0 && c <= 0xAF) {
        return 3; // U+2060..U+206F: word joiner, invisible operators, isolates, ...
    }
    if (a == 0xEF && b == 0xBB && c == 0xBF) {
        return 3; // U+FEFF
    }
    return 0;
}

} // namespace

std::string strip_control(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) {
            continue;
        }
        // C1 controls are U+0080..U+009F, encoded as C2 80..C2 9F.
        if (c == 0xC2 && i + 1 < s.size()) {
            auto n = static_cast<unsigned char>(s[i + 1]);
            if (n >= 0x80 && n <= 0x9F) {
                ++i;
                continue;
            }
        }
        if (std::size_t len = spoofing_char_at(s, i); len > 0) {
            i += len - 1;
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

std::string mask_phone(int country_code, std::string_view digits) {
    std::string last = digits.size() >= 4 ? std::string(digits.substr(digits.size() - 4)) : "****";
    return "+" + std::to_string(country_code) + " ***-***-" + last;
}

std::string format_phone(int country_code, std::string_view digits) {
    std::string out = "+" + std::to_string(country_code) + " ";
    if (digits.size() <= 7) {
        return out + std::string(digits);
    }
    const std::size_t rest = digits.size() - 7;
    return out + std::string(digits.substr(0, rest)) + "-" + std::string(digits.substr(rest, 3)) +
           "-" + std::string(digits.substr(rest + 3));
}

std::string mask_email(std::string_view email) {
    auto at = email.rfind('@');
    if (at == std::string_view::npos || at == 0) {
        return "***";
    }
    return std::string(email.substr(0, 1)) + "***" + strip_control(email.substr(at));
}

Result<std::string> validate_unix_user(std::string_view name) {
    auto bad = [&] {
        return make_error(Exit::usage, "'" + strip_control(name) + "' is not a Unix user name",
                          "1-32 of a-z, 0-9, '_' and '-', starting with a letter or '_'");
    };
    std::string_view body = name;
    if (!body.empty() && body.back() == '$') {
        body.remove_suffix(1);
    }
    if (body.empty() || name.size() > 32 ||
        !((body[0] >= 'a' && body[0] <= 'z') || body[0] == '_')) {
        return bad();
    }
    for (char c : body) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return bad();
        }
    }
    return std::string(name);
}

} // namespace twofa
