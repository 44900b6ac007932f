#pragma once
// The callback flattener as it was, on nlohmann's SAX parser: the oracle that the hand-written
// one (providers/authy/json_flatten.hpp) is checked against, input by input (test_signature.cpp).
#include <twofa/authy/signature.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace twofa::authy::reference {

using nlohmann::json;

// Builds the pairs from the parser's events, without a document in between: keys PHP-style
// ("a[b][0]") on one growing path. `budget` bounds the bytes of the pairs (keys repeat their
// parents' names, so a wide body under a long key would otherwise grow quadratically). A key
// repeated within one object is refused: parsers disagree on which value wins, and a signed
// body must mean one thing. Each object's keys are sorted once when it closes (n log n).
class ReferenceFlattener {
  public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    ReferenceFlattener(bool python, std::size_t budget, Params& out)
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

inline Result<Params> flatten(std::string_view body) {
    if (json_depth(body) > k_max_callback_depth) {
        return make_error(Exit::usage, "the callback body is nested more than " +
                                           std::to_string(k_max_callback_depth) + " levels deep");
    }
    Params pairs;
    ReferenceFlattener flat(true, 4 * body.size() + 4096, pairs);
    if (!json::sax_parse(body, &flat)) {
        return make_error(Exit::usage,
                          flat.failure != nullptr ? flat.failure : "the callback body is not JSON");
    }
    return pairs;
}

} // namespace twofa::authy::reference
