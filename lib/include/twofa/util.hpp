#pragma once
// One helper each for what several layers need: hex, constant-time comparison, URLs,
// HOST:PORT and the wall clock.
#include <twofa/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twofa {

// Lower-case hex of raw bytes, and back (Exit::usage for odd length or a non-hex digit).
std::string to_hex(std::string_view raw);
Result<std::string> from_hex(std::string_view hex);

// Equal contents, in time that depends only on the lengths (libsodium's sodium_memcmp).
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

// A URL's parts, as libcurl's URL parser reads it.
struct Url {
    std::string scheme; // lower case
    std::string host;   // without brackets for IPv6
    int port = 0;       // the explicit port, or the scheme's default
    std::string path;   // "/" at least
    bool has_query_or_fragment = false;
    bool has_user_info = false;
};
// Exit::usage when it does not parse or the scheme is not http(s).
Result<Url> parse_url(const std::string& url);

// True for localhost, ::1 and 127.0.0.0/8.
bool is_loopback_host(std::string_view host) noexcept;

struct HostPort {
    std::string host; // without brackets for IPv6
    int port = 0;
};
// "HOST:PORT" or "[v6]:PORT" (port 0-65535). Exit::usage otherwise.
Result<HostPort> parse_host_port(std::string_view text);
// The text form again, brackets around an IPv6 host.
std::string host_port_text(const std::string& host, int port);

// Form parameters in order; a name may repeat.
using FormPairs = std::vector<std::pair<std::string, std::string>>;
// An application/x-www-form-urlencoded body or a raw query string: "+" is a space, a
// malformed %XX is kept as written, empty pairs are skipped.
FormPairs form_decode(std::string_view text);
// The other way: unreserved bytes kept, space as "+", the rest %XX (upper case).
std::string form_encode(const FormPairs& form);

// The length of the valid multi-byte UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// A JSON string literal (with its quotes) appended to out, byte for byte what nlohmann's dump
// writes with its replace handler (unit-tested against it), without building a document:
// '"', '\\' and control characters escaped (\b \t \n \f \r, else \u00xx), invalid UTF-8
// replaced by U+FFFD. For hot paths that format a line by hand.
void append_json_string(std::string& out, std::string_view text);

// A JSON object appended to out a field at a time, in the order given (a caller that must
// match a document's dump passes its keys sorted): the separators, and each key and value
// escaped as append_json_string does. close() writes the '}' ("{}" when no field came).
class JsonObjectWriter {
  public:
    explicit JsonObjectWriter(std::string& out) : m_out(out) {}
    JsonObjectWriter& text(std::string_view key, std::string_view value);
    JsonObjectWriter& number(std::string_view key, std::int64_t value);
    JsonObjectWriter& boolean(std::string_view key, bool value);
    void close();

  private:
    void key(std::string_view key);
    std::string& m_out;
    char m_sep = '{';
};

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

// Standard Base64 with padding.
std::string base64_encode(std::string_view raw);
// base64(HMAC(key, data)): Twilio signs with SHA-1, Authy with SHA-256.
enum class HmacHash { sha1, sha256 };
std::string hmac_base64(HmacHash hash, std::string_view key, std::string_view data);

// Unix seconds now, and with fractions.
// The name among names that word most likely meant (a typo, or a prefix of two characters or
// more), for "did you mean"; "" when none is close. Quadratic in the (short) lengths only.
std::string closest_name(const std::string& word, const std::vector<std::string>& names);

std::int64_t unix_now() noexcept;
double unix_now_precise() noexcept;

} // namespace twofa
