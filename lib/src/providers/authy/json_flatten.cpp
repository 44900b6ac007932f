// A OneTouch callback's JSON body flattened into its raw pairs (signature.hpp).
#include "providers/authy/json_flatten.hpp"

namespace twofa::authy {

namespace {

// The raw pairs: the path as the reference spells it ("a[b][0]").
class PairSink {
  public:
    explicit PairSink(Params& out) : m_out(out) {}

    std::size_t mark() const { return m_path.size(); }
    void key(std::size_t mark, bool top, std::string_view name) {
        m_path.resize(mark);
        if (top) {
            m_path += name;
        } else {
            m_path.append("[").append(name).append("]");
        }
    }
    void index(std::size_t mark, std::size_t i) {
        m_path.resize(mark);
        m_path.append("[").append(std::to_string(i)).append("]");
    }
    void pair(std::string_view value, const std::string* /*top*/) {
        m_out.emplace_back(m_path, value);
    }

  private:
    Params& m_out;
    std::string m_path;
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
    PairSink sink(pairs);
    TRY(detail::flatten_into(body, python_lists, sink));
    return pairs;
}

} // namespace twofa::authy
