#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace twofa::authy {

using nlohmann::json;

namespace {

// Python's urllib.parse.quote(s) with safe='/', followed by the reference's second step on
// its output (a space's "%20" becomes '+', '/' becomes %2F), in one pass: unreserved
// characters stay, a space is '+', every other byte is %XX with upper-case hex.
// Runs of unreserved characters are copied whole.
constexpr std::array<bool, 256> k_unreserved = [] {
    std::array<bool, 256> keep{};
    for (int c = 0; c < 256; ++c) {
        keep[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                            (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                                            c == '-' || c == '~';
    }
    return keep;
}();

void append_quoted(std::string& out, std::string_view s) {
    static const char k_hex[] = "0123456789ABCDEF";
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t run = i;
        while (run < s.size() && k_unreserved[static_cast<unsigned char>(s[run])]) {
            ++run;
        }
        out.append(s.data() + i, run - i);
        if (run == s.size()) {
            return;
        }
        auto c = static_cast<unsigned char>(s[run]);
        if (c == ' ') {
            out.push_back('+');
        } else {
            const std::array<char, 3> escaped{'%', k_hex[c >> 4], k_hex[c & 0x0f]};
            out.append(escaped.data(), escaped.size());
        }
        i = run + 1;
    }
}

// The pairs of a JSON object, read in one pass with no document in between: keys PHP-style
// ("a[b][0]") on one growing path, values as the reference prints them. Strict RFC 8259 (and
// what nlohmann's parser refuses, it refuses: invalid UTF-8, lone surrogates, a number out of
// range). `budget` bounds the bytes of the pairs (keys repeat their parents' names, so a wide
// body under a long key would otherwise grow quadratically). A key repeated within one object
// is refused: parsers disagree on which value wins, and a signed body must mean one thing.
// Each object's keys are sorted once when it closes (n log n). Recursion stops at
// k_max_callback_depth.
class Flattener {
  public:
    Flattener(std::string_view text, bool python, std::size_t budget, Params& out)
        : m_text(text), m_python(python), m_budget(budget), m_out(out) {}

    const char* failure = nullptr;

    bool parse() {
        skip_space();
        if (peek() != '{') {
            return fail(k_not_object);
        }
        if (!value()) {
            return false;
        }
        skip_space();
        return m_at == m_text.size() || fail(k_not_object);
    }

  private:
    static constexpr const char* k_not_object = "the callback body is not a JSON object";

    struct Level {
        bool array;
        std::size_t path;  // the path's length at this container
        std::size_t index; // arrays: the next element's
        std::size_t keys;  // objects: where their keys start in m_keys
    };

    bool fail(const char* why) {
        if (failure == nullptr) {
            failure = why;
        }
        return false;
    }
    char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\0'; }
    bool eat(char c) {
        if (peek() != c) {
            return false;
        }
        ++m_at;
        return true;
    }
    void skip_space() {
        while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\n' ||
                                        m_text[m_at] == '\r' || m_text[m_at] == '\t')) {
            ++m_at;
        }
    }
    bool literal(std::string_view word) {
        if (m_text.substr(m_at, word.size()) != word) {
            return fail(k_not_object);
        }
        m_at += word.size();
        return true;
    }

    bool value() {
        switch (peek()) {
        case '{':
            return object();
        case '[':
            return array();
        case '"': {
            std::string text;
            return string(text) && scalar(std::move(text));
        }
        case 't':
            return literal("true") && boolean(true);
        case 'f':
            return literal("false") && boolean(false);
        case 'n':
            return literal("null") && scalar(std::string());
        default:
            return number();
        }
    }

    bool object() {
        ++m_at; // '{'
        if (!open(false)) {
            return false;
        }
        skip_space();
        if (!eat('}')) {
            do {
                skip_space();
                std::string name;
                if (peek() != '"' || !string(name)) {
                    return fail(k_not_object);
                }
                skip_space();
                if (!eat(':')) {
                    return fail(k_not_object);
                }
                skip_space();
                key(std::move(name));
                if (!value()) {
                    return false;
                }
                skip_space();
            } while (eat(','));
            if (!eat('}')) {
                return fail(k_not_object);
            }
        }
        // Its keys, sorted once: a repeated one is refused.
        auto first = m_keys.begin() + static_cast<std::ptrdiff_t>(m_levels.back().keys);
        std::sort(first, m_keys.end());
        if (std::adjacent_find(first, m_keys.end()) != m_keys.end()) {
            return fail("the callback body repeats a key within an object");
        }
        m_keys.erase(first, m_keys.end());
        m_levels.pop_back();
        return true;
    }

    bool array() {
        ++m_at; // '['
        if (!open(true)) {
            return false;
        }
        skip_space();
        if (!eat(']')) {
            do {
                skip_space();
                if (!value()) {
                    return false;
                }
                skip_space();
            } while (eat(','));
            if (!eat(']')) {
                return fail(k_not_object);
            }
        }
        m_levels.pop_back();
        return true;
    }

    bool open(bool array) {
        if (m_levels.size() >= k_max_callback_depth) {
            return fail(k_not_object); // flatten_json_callback words it
        }
        element();
        if (m_path.size() > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_levels.push_back(Level{array, m_path.size(), 0, m_keys.size()});
        return true;
    }

    void key(std::string&& name) {
        Level& level = m_levels.back();
        m_path.resize(level.path);
        if (m_levels.size() == 1) {
            m_path += name;
        } else {
            m_path.append("[").append(name).append("]");
        }
        m_keys.push_back(std::move(name));
    }

    // An array's element gets its index in the path.
    void element() {
        if (!m_levels.empty() && m_levels.back().array) {
            Level& level = m_levels.back();
            m_path.resize(level.path);
            m_path.append("[").append(std::to_string(level.index++)).append("]");
        }
    }

    bool boolean(bool b) {
        bool in_list = !m_levels.empty() && m_levels.back().array && m_python;
        return scalar(in_list ? (b ? "True" : "False") : (b ? "true" : "false"));
    }

    bool scalar(std::string text) {
        element();
        if (m_path.size() + text.size() + 1 > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_budget -= m_path.size() + text.size() + 1;
        m_out.emplace_back(m_path, std::move(text));
        return true;
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer as written ("-0" as "0"), one
    // out of 64-bit range or with a fraction or exponent as the shortest round-trip double.
    bool number() {
        const std::size_t start = m_at;
        const bool negative = eat('-');
        const std::size_t digits = m_at;
        if (eat('0')) {
            // no leading zeros
        } else if (peek() >= '1' && peek() <= '9') {
            skip_digits();
        } else {
            return fail(k_not_object);
        }
        bool integer = true;
        if (eat('.')) {
            integer = false;
            if (skip_digits() == 0) {
                return fail(k_not_object);
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_at;
            integer = false;
            if (!eat('+')) {
                eat('-');
            }
            if (skip_digits() == 0) {
                return fail(k_not_object);
            }
        }
        const std::string token(m_text.substr(start, m_at - start));
        if (integer) {
            errno = 0;
            char* end = nullptr;
            if (negative) {
                const long long v = std::strtoll(token.c_str(), &end, 10);
                if (errno == 0) {
                    return scalar(std::to_string(v));
                }
            } else {
                std::strtoull(token.c_str(), &end, 10);
                if (errno == 0) {
                    return scalar(std::string(m_text.substr(digits, m_at - digits)));
                }
            }
        }
        const double v = std::strtod(token.c_str(), nullptr);
        if (!std::isfinite(v)) {
            return fail(k_not_object);
        }
        return scalar(json(v).dump()); // as the reference's repr() prints it
    }
    std::size_t skip_digits() {
        const std::size_t from = m_at;
        while (peek() >= '0' && peek() <= '9') {
            ++m_at;
        }
        return m_at - from;
    }

    // A string at m_at (its opening quote) into out, unescaped; runs without escapes are copied
    // whole. Control characters, invalid UTF-8 and lone surrogates are refused.
    bool string(std::string& out) {
        ++m_at; // '"'
        while (true) {
            std::size_t run = m_at;
            while (run < m_text.size()) {
                auto c = static_cast<unsigned char>(m_text[run]);
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
                    break;
                }
                ++run;
            }
            out.append(m_text, m_at, run - m_at);
            m_at = run;
            if (m_at >= m_text.size()) {
                return fail(k_not_object);
            }
            auto c = static_cast<unsigned char>(m_text[m_at]);
            if (c == '"') {
                ++m_at;
                return true;
            }
            if (c < 0x20) {
                return fail(k_not_object);
            }
            if (c >= 0x80) {
                std::size_t n = utf8_length(m_text, m_at);
                if (n == 0) {
                    return fail(k_not_object);
                }
                out.append(m_text, m_at, n);
                m_at += n;
                continue;
            }
            if (!escape(out)) {
                return fail(k_not_object);
            }
        }
    }
    bool escape(std::string& out) {
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
    long hex4() {
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
    static void append_utf8(std::string& out, std::uint32_t c) {
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
    // The length of the valid UTF-8 sequence of two to four bytes at s[i] (RFC 3629: no
    // overlongs, no surrogates, nothing above U+10FFFF), 0 when the bytes there are not one.
    static std::size_t utf8_length(std::string_view s, std::size_t i) {
        auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
        unsigned char c = at(i);
        std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (n == 0 || c > 0xF4 || i + n > s.size()) {
            return 0;
        }
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        } else if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
        if (at(i + 1) < lo || at(i + 1) > hi) {
            return 0;
        }
        for (std::size_t k = 2; k < n; ++k) {
            if (at(i + k) < 0x80 || at(i + k) > 0xBF) {
                return 0;
            }
        }
        return n;
    }

    std::string_view m_text;
    std::size_t m_at = 0;
    bool m_python;
    std::size_t m_budget;
    Params& m_out;
    std::string m_path;
    std::vector<Level> m_levels;
    std::vector<std::string> m_keys; // of the open objects
};

} // namespace

std::size_t json_depth(std::string_view body) noexcept {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

Result<Params> flatten_json_callback(std::string_view body, bool python_lists) {
    Params pairs;
    Flattener flat(body, python_lists, 4 * body.size() + 4096, pairs);
    if (flat.parse()) {
        return pairs;
    }
    // A body nested too deep is refused as such whatever else is wrong with it (the scan runs
    // only for refused bodies: the parser stops at the same depth).
    if (json_depth(body) > k_max_callback_depth) {
        return make_error(Exit::usage, "the callback body is nested more than " +
                                           std::to_string(k_max_callback_depth) + " levels deep");
    }
    return make_error(Exit::usage,
                      flat.failure != nullptr ? flat.failure : "the callback body is not JSON");
}

Result<std::string> canonical_json_params(std::string_view body) {
    return flatten_json_callback(body).transform(
        [](const Params& pairs) { return canonical_flat_params(pairs); });
}

std::string canonical_flat_params(const Params& params) {
    std::vector<std::string> pairs(params.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        std::string& p = pairs[i];
        p.reserve(3 * (params[i].first.size() + params[i].second.size()) + 1);
        append_quoted(p, params[i].first);
        p.push_back('=');
        append_quoted(p, params[i].second);
        total += p.size() + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    // Joined with '&'; list indices, %5B<digits>%5D, become %5B%5D (after sorting).
    std::string joined;
    joined.reserve(total);
    for (const std::string& p : pairs) {
        if (!joined.empty()) {
            joined += '&';
        }
        // Copied up to each '%' whole; only "%5B" needs a look.
        std::size_t i = 0;
        while (i < p.size()) {
            std::size_t pct = p.find('%', i);
            joined.append(p, i, pct == std::string::npos ? std::string::npos : pct - i);
            if (pct == std::string::npos) {
                break;
            }
            std::size_t j = pct + 3;
            if (p.compare(pct, 3, "%5B") == 0) {
                while (j < p.size() && p[j] >= '0' && p[j] <= '9') {
                    ++j;
                }
                if (p.compare(j, 3, "%5D") == 0) {
                    joined += "%5B%5D";
                    i = j + 3;
                    continue;
                }
            }
            joined += '%';
            i = pct + 1;
        }
    }
    return joined;
}

std::string sign_callback(std::string_view api_key, std::string_view nonce, std::string_view method,
                          std::string_view url, std::string_view canonical) {
    std::string data;
    data.reserve(nonce.size() + method.size() + url.size() + canonical.size() + 3);
    data.append(nonce).append("|").append(method).append("|").append(url).append("|").append(
        canonical);
    return hmac_base64(HmacHash::sha256, api_key, data);
}

bool signatures_equal(std::string_view a, std::string_view b) {
    return equal_constant_time(a, b);
}

} // namespace twofa::authy
