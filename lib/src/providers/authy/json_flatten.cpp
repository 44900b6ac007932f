// A OneTouch callback's JSON body flattened into its pairs (signature.hpp): a strict reader
// of one pass, no document in between.
#include "providers/authy/json_text.hpp"

#include <twofa/authy/signature.hpp>

#include <algorithm>

namespace twofa::authy {

namespace {

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
    bool literal(std::string_view word) { return m_in.literal(word) || fail(k_not_object); }

    bool value() {
        switch (m_in.peek()) {
        case '{':
            return object();
        case '[':
            return array();
        case '"': {
            std::string text;
            return (m_in.string(text) || fail(k_not_object)) && scalar(std::move(text));
        }
        case 't':
            return literal("true") && boolean(true);
        case 'f':
            return literal("false") && boolean(false);
        case 'n':
            return literal("null") && scalar(std::string());
        default: {
            std::string text;
            return (m_in.number(text) || fail(k_not_object)) && scalar(std::move(text));
        }
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

    detail::JsonText m_in;
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

} // namespace twofa::authy
