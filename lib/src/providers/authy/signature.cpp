#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace twofa::authy {

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

} // namespace

Result<std::string> canonical_json_params(std::string_view body) {
    return flatten_json_callback(body).transform(
        [](const Params& pairs) { return canonical_flat_params(pairs); });
}

std::string canonical_flat_params(const Params& params) {
    // Every pair quoted into one buffer (its size bounded up front, so it never moves), then
    // sorted as views of it: three allocations, not one per pair.
    std::size_t room = 0;
    for (const auto& [key, value] : params) {
        room += 3 * (key.size() + value.size()) + 1;
    }
    std::string quoted;
    quoted.reserve(room);
    std::vector<std::string_view> pairs;
    pairs.reserve(params.size());
    for (const auto& [key, value] : params) {
        const std::size_t start = quoted.size();
        append_quoted(quoted, key);
        quoted.push_back('=');
        append_quoted(quoted, value);
        pairs.emplace_back(quoted.data() + start, quoted.size() - start);
    }
    std::sort(pairs.begin(), pairs.end());
    // Joined with '&'; list indices, %5B<digits>%5D, become %5B%5D (after sorting).
    std::string joined;
    joined.reserve(quoted.size() + pairs.size());
    for (std::string_view p : pairs) {
        if (!joined.empty()) {
            joined += '&';
        }
        // Copied up to each '%' whole; only "%5B" needs a look.
        std::size_t i = 0;
        while (i < p.size()) {
            std::size_t pct = p.find('%', i);
            joined.append(
                p.substr(i, pct == std::string_view::npos ? std::string_view::npos : pct - i));
            if (pct == std::string_view::npos) {
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
