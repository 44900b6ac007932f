// Encodings shared by the providers and the sandbox: form bodies and query strings, Base64,
// and the Base64 HMACs that Authy and Twilio sign requests with.
#include <twofa/util.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

namespace twofa {

namespace {

int hex_value(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

} // namespace

FormPairs form_decode(std::string_view text) {
    FormPairs out;
    while (!text.empty()) {
        auto amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        auto eq = pair.find('=');
        out.emplace_back(percent_decode(pair.substr(0, eq)),
                         eq == std::string_view::npos ? std::string()
                                                      : percent_decode(pair.substr(eq + 1)));
    }
    return out;
}

std::string form_encode(const FormPairs& form) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const auto& [name, value] : form) {
        if (!out.empty()) {
            out += '&';
        }
        for (const std::string* part : {&name, &value}) {
            for (char ch : *part) {
                auto c = static_cast<unsigned char>(ch);
                if (unreserved(c)) {
                    out += ch;
                } else if (c == ' ') {
                    out += '+';
                } else {
                    out += '%';
                    out += k_hex[c >> 4];
                    out += k_hex[c & 15];
                }
            }
            if (part == &name) {
                out += '=';
            }
        }
    }
    return out;
}

// SHA-256 and its HMAC from libsodium: no provider set-up on first use (OpenSSL 3 reads its
// configuration then, about a millisecond of every command's start-up), and no per-call fetch
// on the listener's path. SHA-1 (Twilio, HOTP) stays with OpenSSL.
std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size());
    return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string base64_encode(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()),
                            static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

namespace {

// The calling thread's keyed MAC context for the last (hash, key) it signed with. A new
// context looks the digest up by name on every call (OpenSSL 3's fetch: half the time of
// signing a callback, 3.9 against 1.9 us); this one is re-initialised with its key already
// absorbed (EVP_MAC_init with a null key reuses the last one). The key copy is wiped when it
// is replaced and when the thread ends.
class KeyedMac {
  public:
    KeyedMac() = default;
    KeyedMac(const KeyedMac&) = delete;
    KeyedMac& operator=(const KeyedMac&) = delete;
    ~KeyedMac() { sodium_memzero(m_key.data(), m_key.size()); }

    // The context, ready for EVP_MAC_update; null when OpenSSL refused.
    EVP_MAC_CTX* start(HmacHash hash, std::string_view key) {
        if (m_ctx && hash == m_hash && key == m_key) {
            return EVP_MAC_init(m_ctx.get(), nullptr, 0, nullptr) == 1 ? m_ctx.get() : nullptr;
        }
        static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        sodium_memzero(m_key.data(), m_key.size());
        m_key.clear();
        m_ctx.reset(mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr);
        std::array<char, 8> digest{};
        std::string_view name = hash == HmacHash::sha256 ? "SHA256" : "SHA1";
        name.copy(digest.data(), name.size());
        const std::array<OSSL_PARAM, 2> params{
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
            OSSL_PARAM_construct_end()};
        static constexpr unsigned char k_empty = 0; // a null key would mean "the last one"
        const auto* k = key.empty() ? &k_empty : reinterpret_cast<const unsigned char*>(key.data());
        if (!m_ctx || EVP_MAC_init(m_ctx.get(), k, key.size(), params.data()) != 1) {
            m_ctx.reset();
            return nullptr;
        }
        m_hash = hash;
        m_key.assign(key);
        return m_ctx.get();
    }

  private:
    HmacHash m_hash = HmacHash::sha256;
    std::string m_key;
    std::unique_ptr<EVP_MAC_CTX, void (*)(EVP_MAC_CTX*)> m_ctx{nullptr, EVP_MAC_CTX_free};
};

} // namespace

std::string hmac_base64(HmacHash hash, std::string_view key, std::string_view data) {
    thread_local KeyedMac keyed;
    EVP_MAC_CTX* ctx = keyed.start(hash, key);
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t len = 0;
    if (ctx == nullptr ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
            1 ||
        EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1) {
        return {}; // matches no signature: callers fail closed
    }
    return base64_encode(std::string_view(reinterpret_cast<const char*>(out.data()), len));
}

namespace {

// How many bytes at s[i] fit a valid UTF-8 sequence (RFC 3629: its lead byte, then the
// continuation bytes that may follow it) and how many the whole sequence takes: {0, 0} for a
// byte that cannot start one.
std::pair<std::size_t, std::size_t> utf8_fit(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = at(i);
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4) {
        return {0, 0};
    }
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c == 0xE0) {
        lo = 0xA0;
    } else if (c == 0xED) {
        hi = 0x9F;
    } else if (c == 0xF0) {
        lo = 0x90;
    } else if (c == 0xF4) {
        hi = 0x8F;
    }
    std::size_t fit = 1;
    if (i + 1 < s.size() && at(i + 1) >= lo && at(i + 1) <= hi) {
        fit = 2;
        while (fit < n && i + fit < s.size() && (at(i + fit) & 0xC0) == 0x80) {
            ++fit;
        }
    }
    return {fit, n};
}

// The bytes a JSON string keeps as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> k_json_plain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) {
        plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    }
    return plain;
}();

} // namespace

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto [fit, n] = utf8_fit(s, i);
    return fit == n ? n : 0;
}

void append_json_string(std::string& out, std::string_view text) {
    static const char k_hex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < text.size(); ++i) {
        // A run of bytes kept as they are, appended at once.
        std::size_t plain = i;
        while (plain < text.size() && k_json_plain[static_cast<unsigned char>(text[plain])]) {
            ++plain;
        }
        if (plain > i) {
            out.append(text.substr(i, plain - i));
            i = plain - 1;
            continue;
        }
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20) {
            // JSON's short escapes where it has them (\b \t \n \f \r; not \v), as nlohmann.
            if (c >= '\b' && c <= '\r' && c != '\v') {
                out.push_back('\\');
                out.push_back(std::string_view("btnvfr")[c - '\b']);
            } else {
                out.append("\\u00").push_back(k_hex[c >> 4]);
                out.push_back(k_hex[c & 0x0f]);
            }
        } else if (auto [fit, n] = utf8_fit(text, i); fit == n && n != 0) {
            out.append(text.substr(i, n));
            i += n - 1;
        } else {
            // One U+FFFD for the longest start of a sequence (or the one byte that starts
            // none); the byte that broke it is read again.
            out.append("\xEF\xBF\xBD");
            i += std::max<std::size_t>(fit, 1) - 1;
        }
    }
    out.push_back('"');
}

void JsonObjectWriter::key(std::string_view key) {
    m_out.push_back(m_sep);
    m_sep = ',';
    append_json_string(m_out, key);
    m_out.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::text(std::string_view key, std::string_view value) {
    this->key(key);
    append_json_string(m_out, value);
    return *this;
}

JsonObjectWriter& JsonObjectWriter::number(std::string_view key, std::int64_t value) {
    this->key(key);
    m_out += std::to_string(value);
    return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view key, bool value) {
    this->key(key);
    m_out += value ? "true" : "false";
    return *this;
}

void JsonObjectWriter::close() {
    if (m_sep == '{') {
        m_out.push_back('{');
    }
    m_out.push_back('}');
}

} // namespace twofa
