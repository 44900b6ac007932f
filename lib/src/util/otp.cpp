#include <twofa/otp.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace twofa {

namespace {
constexpr std::string_view k_base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::array<const char*, 3> k_hashes{"sha1", "sha256", "sha512"};

std::string percent_encode(std::string_view text) {
    static constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4U];
            out += hex[c & 0x0fU];
        }
    }
    return out;
}
} // namespace

const char* to_string(OtpHash hash) noexcept {
    return k_hashes[static_cast<std::size_t>(hash)];
}

std::optional<OtpHash> parse_otp_hash(std::string_view name) noexcept {
    std::string lower;
    for (char c : name) {
        lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    for (std::size_t i = 0; i < k_hashes.size(); ++i) {
        if (lower == k_hashes[i]) {
            return static_cast<OtpHash>(i);
        }
    }
    return std::nullopt;
}

std::string hotp(std::string_view key, std::uint64_t counter, int digits, OtpHash hash) {
    std::array<unsigned char, 8> msg{};
    for (std::size_t i = 0; i < msg.size(); ++i) {
        msg[7 - i] = static_cast<unsigned char>(counter >> (8 * i));
    }
    const EVP_MD* md = hash == OtpHash::sha1     ? EVP_sha1()
                       : hash == OtpHash::sha256 ? EVP_sha256()
                                                 : EVP_sha512();
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), mac.data(), &len);
    std::size_t offset = mac[len - 1] & 0x0fU;
    std::uint32_t value = (static_cast<std::uint32_t>(mac[offset] & 0x7fU) << 24) |
                          (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<std::uint32_t>(mac[offset + 3]);
    std::uint64_t modulus = 1;
    for (int i = 0; i < digits; ++i) {
        modulus *= 10;
    }
    std::string code = std::to_string(value % modulus);
    return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::string totp(std::string_view key, std::int64_t now, int digits, int step, OtpHash hash) {
    auto counter = static_cast<std::uint64_t>(now < 0 ? 0 : now / step);
    return hotp(key, counter, digits, hash);
}

std::string base32_encode(std::string_view bytes) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char ch : bytes) {
        buffer = (buffer << 8U) | static_cast<unsigned char>(ch);
        bits += 8;
        while (bits >= 5) {
            out += k_base32[(buffer >> static_cast<unsigned>(bits - 5)) & 31U];
            bits -= 5;
        }
    }
    if (bits > 0) {
        out += k_base32[(buffer << static_cast<unsigned>(5 - bits)) & 31U];
    }
    return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t symbols = 0;
    for (char c : text) {
        if (c == ' ' || c == '-') {
            continue;
        }
        char upper = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        auto at = k_base32.find(upper);
        if (at == std::string_view::npos) {
            return std::nullopt;
        }
        buffer = (buffer << 5U) | static_cast<std::uint32_t>(at);
        bits += 5;
        ++symbols;
        if (bits >= 8) {
            out += static_cast<char>((buffer >> static_cast<unsigned>(bits - 8)) & 0xffU);
            bits -= 8;
        }
    }
    // 1, 3 or 6 symbols past a 40-bit group are lengths no encoder produces; leftover
    // bits must be zero.
    std::size_t rest = symbols % 8;
    if (rest == 1 || rest == 3 || rest == 6 ||
        (buffer & ((1U << static_cast<unsigned>(bits)) - 1U)) != 0) {
        return std::nullopt;
    }
    return out;
}

Result<std::string> key_uri(const KeyUri& u) {
    if (u.issuer.find(':') != std::string::npos || u.account.find(':') != std::string::npos) {
        return make_error(Exit::usage, "a key URI's issuer and account may not hold a colon",
                          "authenticator apps split the label at ':'; change totp.issuer");
    }
    std::string issuer = percent_encode(u.issuer);
    std::string label = (u.issuer.empty() ? "" : issuer + ":") + percent_encode(u.account);
    std::string out = "otpauth://totp/" + label + "?secret=" + base32_encode(u.secret);
    if (!u.issuer.empty()) {
        out += "&issuer=" + issuer;
    }
    std::string algorithm = to_string(u.hash);
    for (char& c : algorithm) {
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return out + "&algorithm=" + algorithm + "&digits=" + std::to_string(u.digits) +
           "&period=" + std::to_string(u.period);
}

} // namespace twofa
