// JSON tokens for the callback flattener (json_text.hpp).
#include "providers/authy/json_text.hpp"

#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace twofa::authy::detail {

namespace {

void append_utf8(std::string& out, std::uint32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

// The bytes a string's run copies as they are: not '"', '\\', a control character or a byte
// of a multi-byte UTF-8 sequence (checked on its own).
constexpr std::array<bool, 256> k_plain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) {
        plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    }
    return plain;
}();

} // namespace

bool JsonText::eat(char c) {
    if (peek() != c) {
        return false;
    }
    ++m_at;
    return true;
}

void JsonText::skip_space() {
    while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\n' ||
                                    m_text[m_at] == '\r' || m_text[m_at] == '\t')) {
        ++m_at;
    }
}
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer as written ("-0" as "0"), one
// out of 64-bit range or with a fraction or exponent as the shortest round-trip double.
bool JsonText::number(std::string& out) {
    const std::size_t start = m_at;
    const bool negative = eat('-');
    if (eat('0')) {
        // no leading zeros
    } else if (peek() >= '1' && peek() <= '9') {
        skip_digits();
    } else {
        return false;
    }
    bool integer = true;
    if (eat('.')) {
        integer = false;
        if (skip_digits() == 0) {
            return false;
        }
    }
    if (peek() == 'e' || peek() == 'E') {
        ++m_at;
        integer = false;
        if (!eat('+')) {
            eat('-');
        }
        if (skip_digits() == 0) {
            return false;
        }
    }
    const std::string_view written = m_text.substr(start, m_at - start);
    // Up to 18 digits an integer is in range either way, and printed as written.
    if (integer && written.size() - (negative ? 1 : 0) <= 18) {
        out.assign(written == "-0" ? "0" : written);
        return true;
    }
    const std::string token(written);
    if (integer) {
        errno = 0;
        char* end = nullptr;
        if (negative) {
            const long long v = std::strtoll(token.c_str(), &end, 10);
            if (errno == 0) {
                out = std::to_string(v);
                return true;
            }
        } else {
            const unsigned long long v = std::strtoull(token.c_str(), &end, 10);
            if (errno == 0) {
                out = std::to_string(v); // as written: JSON has no leading zeros
                return true;
            }
        }
    }
    const double v = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(v)) {
        return false;
    }
    out = nlohmann::json(v).dump(); // as the reference's repr() prints it
    return true;                    // as the reference's repr() prints it
}

std::size_t JsonText::skip_digits() {
    const std::size_t from = m_at;
    while (peek() >= '0' && peek() <= '9') {
        ++m_at;
    }
    return m_at - from;
}

// A string at m_at (its opening quote) into out, unescaped; runs without escapes are copied
// whole. Control characters, invalid UTF-8 and lone surrogates are refused.
bool JsonText::string(std::string& out) {
    ++m_at; // '"'
    while (true) {
        std::size_t run = m_at;
        while (run < m_text.size() && k_plain[static_cast<unsigned char>(m_text[run])]) {
            ++run;
        }
        out.append(m_text, m_at, run - m_at);
        m_at = run;
        if (m_at >= m_text.size()) {
            return false;
        }
        auto c = static_cast<unsigned char>(m_text[m_at]);
        if (c == '"') {
            ++m_at;
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c >= 0x80) {
            std::size_t n = utf8_sequence(m_text, m_at);
            if (n == 0) {
                return false;
            }
            out.append(m_text, m_at, n);
            m_at += n;
            continue;
        }
        if (!escape(out)) {
            return false;
        }
    }
}

bool JsonText::escape(std::string& out) {
    ++m_at; // '\\'
    char e = peek();
    ++m_at;
    switch (e) {
    case '"':
    case '\\':
    case '/':
        out.push_back(e);
        return true;
    case 'b':
        out.push_back('\b');
        return true;
    case 'f':
        out.push_back('\f');
        return true;
    case 'n':
        out.push_back('\n');
        return true;
    case 'r':
        out.push_back('\r');
        return true;
    case 't':
        out.push_back('\t');
        return true;
    case 'u':
        break;
    default:
        return false;
    }
    long code = hex4();
    if (code >= 0xDC00 && code <= 0xDFFF) {
        return false; // a low surrogate alone
    }
    if (code >= 0xD800 && code <= 0xDBFF) {
        if (!eat('\\') || !eat('u')) {
            return false;
        }
        long low = hex4();
        if (low < 0xDC00 || low > 0xDFFF) {
            return false;
        }
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code < 0) {
        return false;
    }
    append_utf8(out, static_cast<std::uint32_t>(code));
    return true;
}
// Four hex digits as a number, or -1.
long JsonText::hex4() {
    if (m_at + 4 > m_text.size()) {
        return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; ++i) {
        char c = m_text[m_at++];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

bool JsonText::literal(std::string_view word) {
    if (m_text.substr(m_at, word.size()) != word) {
        return false;
    }
    m_at += word.size();
    return true;
}

} // namespace twofa::authy::detail
