#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <algorithm>
#include <array>

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
