#pragma once
// A JSON text read at a position: the tokens of RFC 8259 for the callback flattener
// (json_flatten.cpp). Strict where nlohmann's parser is: invalid UTF-8, control characters in
// strings, lone surrogates and numbers out of range are refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace twofa::authy::detail {

class JsonText {
  public:
    explicit JsonText(std::string_view text) : m_text(text) {}

    bool at_end() const { return m_at == m_text.size(); }
    char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\0'; }
    // Steps over c when it is next.
    bool eat(char c);
    void skip_space();
    // Steps over word when it is next.
    bool literal(std::string_view word);
    // A string (at its opening quote) into out, unescaped.
    bool string(std::string& out);
    // A number as the reference prints it: an integer as written ("-0" as "0"); one out of
    // 64-bit range, or with a fraction or exponent, as the shortest round-trip double.
    bool number(std::string& out);

  private:
    bool escape(std::string& out);
    long hex4();
    std::size_t skip_digits();

    std::string_view m_text;
    std::size_t m_at = 0;
};

} // namespace twofa::authy::detail
