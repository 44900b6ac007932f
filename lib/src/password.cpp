#include <twofa/password.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <charconv>
#include <mutex>
#include <vector>

namespace twofa {

namespace {

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) {
            throw Failure(make_error(Exit::internal, "libsodium failed to initialise"));
        }
    });
}

constexpr std::string_view k_werkzeug_prefix = "pbkdf2:sha256";

struct Werkzeug {
    unsigned long iterations = 0;
    std::string_view salt;
    std::string_view hex;
};

// pbkdf2:sha256[:iterations]$salt$hex; werkzeug used 50000 iterations when the count is absent.
bool parse_werkzeug(std::string_view h, Werkzeug& out) {
    if (h.substr(0, k_werkzeug_prefix.size()) != k_werkzeug_prefix) {
        return false;
    }
    auto first = h.find('$');
    auto second = first == std::string_view::npos ? first : h.find('$', first + 1);
    if (second == std::string_view::npos) {
        return false;
    }
    auto method = h.substr(0, first);
    out.iterations = 50000;
    if (method.size() > k_werkzeug_prefix.size()) {
        if (method[k_werkzeug_prefix.size()] != ':') {
            return false;
        }
        auto digits = method.substr(k_werkzeug_prefix.size() + 1);
        auto [p, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), out.iterations);
        if (ec != std::errc() || p != digits.data() + digits.size() || out.iterations == 0 ||
            out.iterations > 10'000'000) {
            return false;
        }
    }
    out.salt = h.substr(first + 1, second - first - 1);
    out.hex = h.substr(second + 1);
    if (out.salt.empty() || out.hex.size() != 64 ||
        out.hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
        return false;
    }
    return true;
}

bool verify_werkzeug(std::string_view password, const Werkzeug& w) {
    unsigned char dk[32];
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(w.salt.data()),
                          static_cast<int>(w.salt.size()), static_cast<int>(w.iterations),
                          EVP_sha256(), sizeof dk, dk) != 1) {
        return false;
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    char hex[64];
    for (std::size_t i = 0; i < sizeof dk; ++i) {
        hex[2 * i] = k_hex[dk[i] >> 4];
        hex[2 * i + 1] = k_hex[dk[i] & 0xF];
    }
    return CRYPTO_memcmp(hex, w.hex.data(), sizeof hex) == 0;
}

bool is_argon2id(std::string_view h) {
    return h.substr(0, 10) == "$argon2id$";
}

} // namespace

Result<std::string> hash_password(std::string_view password) {
    ensure_sodium();
    std::vector<char> out(crypto_pwhash_STRBYTES);
    if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return make_error(Exit::internal, "out of memory while hashing the password");
    }
    return std::string(out.data());
}

bool verify_password(std::string_view password, std::string_view stored_hash) {
    ensure_sodium();
    if (is_argon2id(stored_hash)) {
        std::string h(stored_hash); // needs a NUL-terminated string
        return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
    }
    Werkzeug w;
    if (parse_werkzeug(stored_hash, w)) {
        return verify_werkzeug(password, w);
    }
    return false;
}

bool password_needs_rehash(std::string_view stored_hash) {
    ensure_sodium();
    if (!is_argon2id(stored_hash)) {
        return true;
    }
    std::string h(stored_hash);
    return crypto_pwhash_str_needs_rehash(h.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

Status validate_password_hash(std::string_view stored_hash) {
    Werkzeug w;
    if (is_argon2id(stored_hash) && stored_hash.size() < crypto_pwhash_STRBYTES &&
        stored_hash.find_first_of(" \t\r\n") == std::string_view::npos) {
        return {};
    }
    if (parse_werkzeug(stored_hash, w)) {
        return {};
    }
    return make_error(Exit::usage, "password_hash is neither Argon2id nor pbkdf2:sha256",
                      "export the hash unchanged, e.g. pbkdf2:sha256:260000$salt$hex");
}

void burn_password_check(std::string_view password) {
    // A fixed hash at the current limits, so an unknown user costs one verification, like a
    // known one (hashing a fresh dummy here doubled the time and gave unknown emails away).
    // Should libsodium's limits ever change, a fresh dummy at the new limits is made instead.
    static const std::string k_dummy = [] {
        std::string fixed = "$argon2id$v=19$m=65536,t=2,p=1$9m1IoO23w2DD+Y3LxnwmAw$"
                            "aJ0kxkuwRmI/cWRNpRyhyRmmMYuwySdrDCKfRj+8VJA";
        if (!password_needs_rehash(fixed)) {
            return fixed;
        }
        auto h = hash_password("twofa-dummy-password-for-timing");
        return h.ok() ? *h : fixed;
    }();
    (void)verify_password(password, k_dummy);
}

} // namespace twofa
