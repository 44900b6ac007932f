#include "providers/authy/json_flatten.hpp"

#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

namespace twofa::authy {

namespace {

// Python's urllib.parse.quote(s) with safe='/', followed by the reference's second step on
// its output (a space's "%20" becomes '+', '/' becomes %2F), in one pass: unreserved
// characters stay, a space is '+', every other byte is %XX with upper-case hex.
constexpr std::array<bool, 256> k_unreserved = [] {
    std::array<bool, 256> keep{};
    for (int c = 0; c < 256; ++c) {
        keep[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                            (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                                            c == '-' || c == '~';
    }
    return keep;
}();

// s quoted onto the end of out (room for the worst case first, then written by pointer).
void quote_onto(std::string& out, std::string_view s) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    const std::size_t at = out.size();
    out.resize(at + 3 * s.size());
    char* end = out.data() + at;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (k_unreserved[c]) {
            *end++ = ch;
        } else if (c == ' ') {
            *end++ = '+';
        } else {
            end[0] = '%';
            end[1] = k_hex[c >> 4];
            end[2] = k_hex[c & 0x0f];
            end += 3;
        }
    }
    out.resize(static_cast<std::size_t>(end - out.data()));
}

// p (a quoted pair) at out with each list index, %5B<digits>%5D, as %5B%5D; the end.
char* put_without_indices(char* out, std::string_view p) {
    // Whether p has the escape %5<c> at i (compared by hand: memcmp is a call per '%').
    auto escape_at = [&](std::size_t i, char c) {
        return i + 3 <= p.size() && p[i] == '%' && p[i + 1] == '5' && p[i + 2] == c;
    };
    std::size_t i = 0;
    while (i < p.size()) {
        const void* hit = std::memchr(p.data() + i, '%', p.size() - i);
        const std::size_t pct =
            hit == nullptr ? p.size()
                           : static_cast<std::size_t>(static_cast<const char*>(hit) - p.data());
        std::memcpy(out, p.data() + i, pct - i);
        out += pct - i;
        if (pct == p.size()) {
            break;
        }
        if (escape_at(pct, 'B')) {
            std::size_t j = pct + 3;
            while (j < p.size() && p[j] >= '0' && p[j] <= '9') {
                ++j;
            }
            if (escape_at(j, 'D')) {
                constexpr std::string_view k_list = "%5B%5D";
                out = std::copy(k_list.begin(), k_list.end(), out);
                i = j + 3;
                continue;
            }
        }
        *out++ = '%';
        i = pct + 1;
    }
    return out;
}

// Quoted pairs (bytes of them in all) sorted, then joined with '&', list indices,
// %5B<digits>%5D, turned into %5B%5D (after sorting).
std::string sorted_and_joined(std::vector<std::string_view>& pairs, std::size_t bytes) {
    std::sort(pairs.begin(), pairs.end());
    std::string joined(bytes + pairs.size(), '\0');
    char* out = joined.data();
    for (std::string_view p : pairs) {
        if (out != joined.data()) {
            *out++ = '&';
        }
        out = put_without_indices(out, p);
    }
    joined.resize(static_cast<std::size_t>(out - joined.data()));
    return joined;
}

// The pairs quoted as they are read, into one buffer ("a%5Bb%5D=v"), and the top-level ones
// raw as well (the fields a callback is read from).
class QuotedSink {
  public:
    explicit QuotedSink(std::size_t body) { m_quoted.reserve(2 * body); }

    std::size_t mark() const { return m_path.size(); }
    void key(std::size_t mark, bool top, std::string_view name) {
        m_path.resize(mark);
        if (!top) {
            m_path += "%5B";
        }
        quote_onto(m_path, name);
        if (!top) {
            m_path += "%5D";
        }
    }
    void index(std::size_t mark, std::size_t i) {
        m_path.resize(mark);
        m_path.append("%5B").append(std::to_string(i)).append("%5D"); // digits quote as such
    }
    void pair(std::string_view value, const std::string* top) {
        const std::size_t start = m_quoted.size();
        m_quoted.append(m_path).push_back('=');
        quote_onto(m_quoted, value);
        m_spans.emplace_back(start, m_quoted.size() - start);
        if (top != nullptr) {
            m_top.emplace_back(*top, value);
        }
    }

    CanonicalCallback finish() {
        std::vector<std::string_view> pairs;
        pairs.reserve(m_spans.size());
        for (auto [start, size] : m_spans) {
            pairs.emplace_back(m_quoted.data() + start, size);
        }
        return {sorted_and_joined(pairs, m_quoted.size()), std::move(m_top)};
    }

  private:
    std::string m_path;
    std::string m_quoted;
    std::vector<std::pair<std::size_t, std::size_t>> m_spans; // of m_quoted, which may move
    Params m_top;
};

} // namespace

Result<CanonicalCallback> canonical_json_callback(std::string_view body) {
    QuotedSink sink(body.size());
    TRY(detail::flatten_into(body, true, sink));
    return sink.finish();
}

Result<std::string> canonical_json_params(std::string_view body) {
    return canonical_json_callback(body).transform(
        [](CanonicalCallback&& c) { return std::move(c.canonical); });
}

std::string canonical_flat_params(const Params& params) {
    // Each key a top-level path of its own: the same quoting, sort and join as a JSON body's.
    QuotedSink sink(0);
    for (const auto& [key, value] : params) {
        sink.key(0, true, key);
        sink.pair(value, nullptr);
    }
    return sink.finish().canonical;
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
