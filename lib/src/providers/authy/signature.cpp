#include <twofa/authy/signature.hpp>
#include <twofa/util.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace twofa::authy {

using nlohmann::json;

namespace {

// Python's urllib.parse.quote(s) with safe='/': unreserved characters and '/' stay, every
// other byte becomes %XX with upper-case hex.
std::string quote(std::string_view s) {
    static const char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || c == '~' || c == '/';
        if (keep) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(k_hex[c >> 4]);
            out.push_back(k_hex[c & 0x0f]);
        }
    }
    return out;
}

// str(v) of a scalar, as Python prints it. in_list: booleans inside lists print as True/False
// (a quirk of the reference implementation that real signatures depend on).
std::string scalar_text(const json& v, bool in_list) {
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_boolean()) {
        bool b = v.get<bool>();
        return in_list ? (b ? "True" : "False") : (b ? "true" : "false");
    }
    if (v.is_null()) {
        return ""; // Python's "None", later rewritten to an empty value
    }
    return v.dump(); // integers in decimal; floats in shortest round-trip form like repr()
}

// Step 1: the raw (key, value) pairs, keys PHP-style ("a[b][0]"). The recursion is as deep as
// the body's nesting, which flatten_json_callback caps before parsing; `budget` bounds the
// bytes of the pairs (keys repeat their parents' names, so a wide body under a long key would
// otherwise grow quadratically). False when the budget ran out.
bool flatten(const json& v, const std::string& key, bool in_list, bool python, Params& out,
             std::size_t& budget) {
    if (key.size() > budget) {
        return false;
    }
    if (v.is_object()) {
        for (const auto& [k, child] : v.items()) {
            if (!flatten(child, key.empty() ? k : key + "[" + k + "]", false, python, out,
                         budget)) {
                return false;
            }
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!flatten(v[i], key + "[" + std::to_string(i) + "]", python, python, out, budget)) {
                return false;
            }
        }
    } else {
        std::string text = scalar_text(v, in_list);
        if (key.size() + text.size() + 1 > budget) {
            return false;
        }
        budget -= key.size() + text.size() + 1;
        out.emplace_back(key, std::move(text));
    }
    return true;
}

// Steps 2 and 3 on the pairs.
std::string finish(std::vector<std::string> pairs) {
    for (auto& p : pairs) {
        std::string fixed;
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (p[i] == '/') {
                fixed += "%2F";
            } else if (p.compare(i, 3, "%20") == 0) {
                fixed += '+';
                i += 2;
            } else {
                fixed += p[i];
            }
        }
        p = std::move(fixed);
    }
    std::sort(pairs.begin(), pairs.end());
    std::string joined;
    for (const auto& p : pairs) {
        if (!joined.empty()) {
            joined += '&';
        }
        // %5B<digits>%5D -> %5B%5D, after sorting.
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (p.compare(i, 3, "%5B") == 0) {
                std::size_t j = i + 3;
                while (j < p.size() && p[j] >= '0' && p[j] <= '9') {
                    ++j;
                }
                if (p.compare(j, 3, "%5D") == 0) {
                    joined += "%5B%5D";
                    i = j + 2;
                    continue;
                }
            }
            joined += p[i];
        }
    }
    return joined;
}

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
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(Exit::usage, "the callback body is not a JSON object");
    }
    Params pairs;
    std::size_t budget = 4 * body.size() + 4096;
    if (!flatten(j, "", false, python_lists, pairs, budget)) {
        return make_error(Exit::usage, "the callback body is too large once flattened");
    }
    return pairs;
}

Result<std::string> canonical_json_params(std::string_view body) {
    return flatten_json_callback(body).transform(
        [](const Params& pairs) { return canonical_flat_params(pairs); });
}

std::string canonical_flat_params(const Params& params) {
    std::vector<std::string> pairs;
    pairs.reserve(params.size());
    for (const auto& [k, v] : params) {
        pairs.push_back(quote(k) + "=" + quote(v));
    }
    return finish(std::move(pairs));
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
