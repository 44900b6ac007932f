#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

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

// Builds the pairs from the parser's events, without a document in between: keys PHP-style
// ("a[b][0]") on one growing path. `budget` bounds the bytes of the pairs (keys repeat their
// parents' names, so a wide body under a long key would otherwise grow quadratically). A key
// repeated within one object is refused: parsers disagree on which value wins, and a signed
// body must mean one thing. Each object's keys are sorted once when it closes (n log n).
class Flattener {
  public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    Flattener(bool python, std::size_t budget, Params& out)
        : m_python(python), m_budget(budget), m_out(out) {}

    const char* failure = nullptr;

    bool null() { return scalar(std::string()); }
    bool boolean(bool b) {
        bool in_list = !m_levels.empty() && m_levels.back().array && m_python;
        return scalar(in_list ? (b ? "True" : "False") : (b ? "true" : "false"));
    }
    bool number_integer(number_integer_t v) { return scalar(std::to_string(v)); }
    bool number_unsigned(number_unsigned_t v) { return scalar(std::to_string(v)); }
    // Shortest round-trip form, like repr(); as the document's dump() printed it.
    bool number_float(number_float_t v, const string_t&) { return scalar(json(v).dump()); }
    bool string(string_t& v) { return scalar(std::move(v)); }
    bool binary(binary_t&) { return fail("the callback body is not a JSON object"); }
    bool start_object(std::size_t) { return open(false); }
    bool start_array(std::size_t) { return open(true); }
    bool end_array() { return close(); }
    bool end_object() {
        auto first = m_keys.begin() + static_cast<std::ptrdiff_t>(m_levels.back().keys);
        std::sort(first, m_keys.end());
        if (std::adjacent_find(first, m_keys.end()) != m_keys.end()) {
            return fail("the callback body repeats a key within an object");
        }
        m_keys.erase(first, m_keys.end());
        return close();
    }
    bool key(string_t& k) {
        Level& level = m_levels.back();
        m_path.resize(level.path);
        if (m_levels.size() == 1) {
            m_path += k;
        } else {
            m_path.append("[").append(k).append("]");
        }
        m_keys.push_back(std::move(k));
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const json::exception&) {
        return fail("the callback body is not a JSON object");
    }

  private:
    struct Level {
        bool array;
        std::size_t path;  // the path's length at this container
        std::size_t index; // arrays: the next element's
        std::size_t keys;  // objects: where their keys start in m_keys
    };

    bool fail(const char* why) {
        failure = why;
        return false;
    }
    // An array's element gets its index in the path.
    void element() {
        if (!m_levels.empty() && m_levels.back().array) {
            Level& level = m_levels.back();
            m_path.resize(level.path);
            m_path.append("[").append(std::to_string(level.index++)).append("]");
        }
    }
    bool open(bool array) {
        if (m_levels.empty() && array) {
            return fail("the callback body is not a JSON object");
        }
        element();
        if (m_path.size() > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_levels.push_back(Level{array, m_path.size(), 0, m_keys.size()});
        return true;
    }
    bool close() {
        m_levels.pop_back();
        return true;
    }
    bool scalar(std::string text) {
        if (m_levels.empty()) {
            return fail("the callback body is not a JSON object");
        }
        element();
        if (m_path.size() + text.size() + 1 > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_budget -= m_path.size() + text.size() + 1;
        m_out.emplace_back(m_path, std::move(text));
        return true;
    }

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
    if (json_depth(body) > k_max_callback_depth) {
        return make_error(Exit::usage, "the callback body is nested more than " +
                                           std::to_string(k_max_callback_depth) + " levels deep");
    }
    Params pairs;
    Flattener flat(python_lists, 4 * body.size() + 4096, pairs);
    if (!json::sax_parse(body, &flat)) {
        return make_error(Exit::usage,
                          flat.failure != nullptr ? flat.failure : "the callback body is not JSON");
    }
    return pairs;
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
