#pragma once
// The one-pass reader of a OneTouch callback's JSON body into its pairs (signature.hpp), shared
// by flatten_json_callback (raw pairs) and canonical_json_callback (pairs quoted as the
// signature needs them): no document in between, no pass over the pairs after it.
#include "providers/authy/json_text.hpp"

#include <twofa/authy/signature.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace twofa::authy::detail {

// The pairs of a JSON object, read in one pass: keys PHP-style ("a[b][0]") on one growing path,
// values as the reference prints them. Strict RFC 8259 (and what nlohmann's parser refuses, it
// refuses: invalid UTF-8, lone surrogates, a number out of range). `budget` bounds the bytes of
// the raw pairs (keys repeat their parents' names, so a wide body under a long key would
// otherwise grow quadratically). A key repeated within one object is refused: parsers disagree
// on which value wins, and a signed body must mean one thing. Each object's keys are sorted once
// when it closes (n log n). Recursion stops at k_max_callback_depth.
//
// The Sink keeps the path in its own form (raw, or quoted):
//   std::size_t mark() const;                               the path's length now
//   void key(std::size_t mark, bool top, std::string_view name);   cut to mark, add the key
//   void index(std::size_t mark, std::size_t i);            cut to mark, add a list index
//   void pair(std::string_view value, const std::string* top);     a pair: the path and value;
//                                                           top names it when it is top-level
template <class Sink> class Flattener {
  public:
    Flattener(std::string_view text, bool python, std::size_t budget, Sink& out)
        : m_in(text), m_python(python), m_budget(budget), m_out(out) {}

    const char* failure = nullptr;

    bool parse() {
        m_in.skip_space();
        if (m_in.peek() != '{') {
            return fail(k_not_object);
        }
        if (!value()) {
            return false;
        }
        m_in.skip_space();
        return m_in.at_end() || fail(k_not_object);
    }

  private:
    static constexpr const char* k_not_object = "the callback body is not a JSON object";

    struct Level {
        bool array;
        std::size_t mark;  // the sink's path length at this container
        std::size_t raw;   // the raw path's length there (what the budget counts)
        std::size_t index; // arrays: the next element's
        std::size_t keys;  // objects: where their keys start in m_keys
    };

    bool fail(const char* why) {
        if (failure == nullptr) {
            failure = why;
        }
        return false;
    }
    bool literal(std::string_view word) { return m_in.literal(word) || fail(k_not_object); }

    bool value() {
        switch (m_in.peek()) {
        case '{':
            return object();
        case '[':
            return array();
        case '"':
            m_value.clear();
            return (m_in.string(m_value) || fail(k_not_object)) && scalar(m_value);
        case 't':
            return literal("true") && boolean(true);
        case 'f':
            return literal("false") && boolean(false);
        case 'n':
            return literal("null") && scalar("");
        default:
            return (m_in.number(m_value) || fail(k_not_object)) && scalar(m_value);
        }
    }

    bool object() {
        m_in.eat('{');
        if (!open(false)) {
            return false;
        }
        m_in.skip_space();
        if (!m_in.eat('}')) {
            do {
                m_in.skip_space();
                std::string name;
                if (m_in.peek() != '"' || !m_in.string(name)) {
                    return fail(k_not_object);
                }
                m_in.skip_space();
                if (!m_in.eat(':')) {
                    return fail(k_not_object);
                }
                m_in.skip_space();
                key(std::move(name));
                if (!value()) {
                    return false;
                }
                m_in.skip_space();
            } while (m_in.eat(','));
            if (!m_in.eat('}')) {
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
        m_in.eat('[');
        if (!open(true)) {
            return false;
        }
        m_in.skip_space();
        if (!m_in.eat(']')) {
            do {
                m_in.skip_space();
                if (!value()) {
                    return false;
                }
                m_in.skip_space();
            } while (m_in.eat(','));
            if (!m_in.eat(']')) {
                return fail(k_not_object);
            }
        }
        m_levels.pop_back();
        return true;
    }

    bool open(bool array) {
        if (m_levels.size() >= k_max_callback_depth) {
            return fail(k_not_object); // flatten_into words it
        }
        element();
        if (m_raw > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_levels.push_back(Level{array, m_out.mark(), m_raw, 0, m_keys.size()});
        return true;
    }

    void key(std::string&& name) {
        const Level& level = m_levels.back();
        const bool top = m_levels.size() == 1;
        m_out.key(level.mark, top, name);
        m_raw = level.raw + name.size() + (top ? 0 : 2);
        m_keys.push_back(std::move(name));
    }

    // An array's element gets its index in the path.
    void element() {
        if (!m_levels.empty() && m_levels.back().array) {
            Level& level = m_levels.back();
            const std::size_t i = level.index++;
            m_out.index(level.mark, i);
            std::size_t digits = 1;
            for (std::size_t rest = i / 10; rest != 0; rest /= 10) {
                ++digits;
            }
            m_raw = level.raw + digits + 2;
        }
    }

    bool boolean(bool b) {
        bool in_list = !m_levels.empty() && m_levels.back().array && m_python;
        return scalar(in_list ? (b ? "True" : "False") : (b ? "true" : "false"));
    }

    bool scalar(std::string_view text) {
        element();
        if (m_raw + text.size() + 1 > m_budget) {
            return fail("the callback body is too large once flattened");
        }
        m_budget -= m_raw + text.size() + 1;
        // The top level is an object: a pair there follows its key at once.
        m_out.pair(text, m_levels.size() == 1 ? &m_keys.back() : nullptr);
        return true;
    }

    JsonText m_in;
    bool m_python;
    std::size_t m_budget;
    Sink& m_out;
    std::size_t m_raw = 0;
    std::string m_value; // a string or number value, its buffer reused
    std::vector<Level> m_levels;
    std::vector<std::string> m_keys; // of the open objects
};

// The body read into sink, or why it is refused (Exit::usage).
template <class Sink> Status flatten_into(std::string_view body, bool python_lists, Sink& sink) {
    Flattener<Sink> flat(body, python_lists, 4 * body.size() + 4096, sink);
    if (flat.parse()) {
        return {};
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

} // namespace twofa::authy::detail
