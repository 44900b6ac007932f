#include <twofa/password.hpp>
#include <twofa/util.hpp>

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

// The most work one stored hash may ask of a login attempt (about a second here): werkzeug 3.1
// uses 1,000,000 iterations; libsodium's "moderate" Argon2id is t=3, m=256 MiB.
constexpr unsigned long k_max_pbkdf2_iterations = 2'000'000;
constexpr unsigned long k_max_argon2_memory_kib = 262144;
constexpr unsigned long k_max_argon2_passes = 4;
constexpr unsigned long k_max_argon2_cost = 3 * k_max_argon2_memory_kib; // passes x memory
constexpr unsigned long k_max_argon2_lanes = 4;

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
            out.iterations > k_max_pbkdf2_iterations) {
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
    std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(dk), sizeof dk));
    sodium_memzero(dk, sizeof dk);
    return equal_constant_time(hex, w.hex);
}

bool is_argon2id(std::string_view h) {
    return h.substr(0, 10) == "$argon2id$";
}

// The number after `key=` in h, or 0.
unsigned long argon2_param(std::string_view h, std::string_view key) {
    auto at = h.find(key);
    if (at == std::string_view::npos) {
        return 0;
    }
    unsigned long v = 0;
    const char* start = h.data() + at + key.size();
    auto [p, ec] = std::from_chars(start, h.data() + h.size(), v);
    return ec == std::errc() && p != start ? v : 0;
}

// $argon2id$v=19$m=65536,t=2,p=1$salt$hash with costs inside the bounds above.
bool argon2id_within_bounds(std::string_view h) {
    if (!is_argon2id(h) || h.size() >= crypto_pwhash_STRBYTES ||
        h.find_first_of(" \t\r\n") != std::string_view::npos) {
        return false;
    }
    unsigned long m = argon2_param(h, "$m=");
    unsigned long t = argon2_param(h, ",t=");
    unsigned long lanes = argon2_param(h, ",p=");
    return m >= 8 && m <= k_max_argon2_memory_kib && t >= 1 && t <= k_max_argon2_passes &&
           t * m <= k_max_argon2_cost && lanes >= 1 && lanes <= k_max_argon2_lanes;
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
        if (!argon2id_within_bounds(stored_hash)) {
            return false; // refused at import; never spend unbounded work on a login
        }
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
    if (is_argon2id(stored_hash)) {
        if (argon2id_within_bounds(stored_hash)) {
            return {};
        }
        return make_error(Exit::usage,
                          "the Argon2id hash's cost is out of bounds (at most m=262144 KiB, t=4, "
                          "p=4, t*m <= 786432)",
                          "re-hash the password at ordinary cost, or import it without a hash");
    }
    if (parse_werkzeug(stored_hash, w)) {
        return {};
    }
    return make_error(Exit::usage,
                      "password_hash is neither Argon2id nor pbkdf2:sha256 (at most 2,000,000 "
                      "iterations)",
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
