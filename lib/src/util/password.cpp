#include <twofa/password.hpp>
#include <twofa/util.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
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

// The most work one stored hash may ask of a login attempt (about a second here): werkzeug 3.1
// uses 1,000,000 PBKDF2 iterations and scrypt N=32768, r=8, p=1 (32 MiB); libsodium's
// "moderate" Argon2id is t=3, m=256 MiB.
constexpr unsigned long k_max_pbkdf2_iterations = 2'000'000;
constexpr unsigned long long k_max_scrypt_memory = 256ULL << 20; // 128 * N * r bytes
constexpr unsigned long long k_max_scrypt_work = 1ULL << 20;     // N * r * p
constexpr unsigned long k_max_argon2_memory_kib = 262144;
constexpr unsigned long k_max_argon2_passes = 4;
constexpr unsigned long k_max_argon2_cost = 3 * k_max_argon2_memory_kib; // passes x memory
constexpr unsigned long k_max_argon2_lanes = 4;

// A hash made by Werkzeug's generate_password_hash (the tutorial app's): METHOD$salt$hex with
// METHOD pbkdf2:sha1|sha256|sha512[:iterations] or scrypt[:N:r:p].
struct Werkzeug {
    const EVP_MD* digest = nullptr; // pbkdf2's; nullptr for scrypt
    unsigned long long iterations = 0, n = 0, r = 0, p = 0;
    std::string_view salt;
    std::string_view hex;
};

// The numbers after the method's name, ':'-separated; false on anything else.
bool parse_numbers(std::string_view text, std::vector<unsigned long long>& out) {
    while (!text.empty()) {
        if (text.front() != ':') {
            return false;
        }
        text.remove_prefix(1);
        unsigned long long v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end == text.data() || v == 0) {
            return false;
        }
        out.push_back(v);
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    }
    return true;
}

bool parse_method(std::string_view method, Werkzeug& out) {
    std::vector<unsigned long long> numbers;
    if (method.starts_with("scrypt")) {
        if (!parse_numbers(method.substr(6), numbers) ||
            (numbers.size() != 0 && numbers.size() != 3)) {
            return false;
        }
        // werkzeug's defaults when the parameters are absent
        out.n = numbers.empty() ? 32768 : numbers[0];
        out.r = numbers.empty() ? 8 : numbers[1];
        out.p = numbers.empty() ? 1 : numbers[2];
        return (out.n & (out.n - 1)) == 0 && out.n >= 2 && out.r <= 64 && out.p <= 16 &&
               128 * out.n * out.r <= k_max_scrypt_memory &&
               out.n * out.r * out.p <= k_max_scrypt_work;
    }
    static const std::array<std::pair<std::string_view, const EVP_MD* (*)()>, 3> k_digests = {
        {{"pbkdf2:sha1", EVP_sha1}, {"pbkdf2:sha256", EVP_sha256}, {"pbkdf2:sha512", EVP_sha512}}};
    for (const auto& [name, digest] : k_digests) {
        if (method.starts_with(name) && parse_numbers(method.substr(name.size()), numbers) &&
            numbers.size() <= 1) {
            out.digest = digest();
            out.iterations = numbers.empty() ? 50000 : numbers[0]; // werkzeug < 1.0's default
            return out.iterations <= k_max_pbkdf2_iterations;
        }
    }
    return false;
}

bool parse_werkzeug(std::string_view h, Werkzeug& out) {
    auto first = h.find('$');
    auto second = first == std::string_view::npos ? first : h.find('$', first + 1);
    if (second == std::string_view::npos || !parse_method(h.substr(0, first), out)) {
        return false;
    }
    out.salt = h.substr(first + 1, second - first - 1);
    out.hex = h.substr(second + 1);
    const std::size_t want =
        out.digest != nullptr ? 2 * static_cast<std::size_t>(EVP_MD_get_size(out.digest)) : 128;
    return !out.salt.empty() && out.salt.find('$') == std::string_view::npos &&
           out.hex.size() == want &&
           out.hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool verify_werkzeug(std::string_view password, const Werkzeug& w) {
    std::array<unsigned char, 64> dk{};
    const std::size_t size = w.hex.size() / 2;
    const auto* salt = reinterpret_cast<const unsigned char*>(w.salt.data());
    const bool derived =
        w.digest != nullptr
            ? PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                                static_cast<int>(w.salt.size()), static_cast<int>(w.iterations),
                                w.digest, static_cast<int>(size), dk.data()) == 1
            : EVP_PBE_scrypt(password.data(), password.size(), salt, w.salt.size(), w.n, w.r, w.p,
                             129 * w.n * w.r * w.p + (1 << 20), dk.data(), size) == 1;
    std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(dk.data()), size));
    sodium_memzero(dk.data(), dk.size());
    return derived && equal_constant_time(hex, w.hex);
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
                      "password_hash is neither Argon2id nor a Werkzeug hash (pbkdf2:sha1, "
                      "sha256 or sha512 with at most 2,000,000 iterations, or scrypt with "
                      "128*N*r at most 256 MiB and N*r*p at most 2^20)",
                      "export the hash unchanged, e.g. scrypt:32768:8:1$salt$hex");
}

std::string password_hash_kind(std::string_view stored_hash) {
    Werkzeug w;
    if (stored_hash.empty()) {
        return "none";
    }
    if (is_argon2id(stored_hash)) {
        return "argon2id";
    }
    if (!parse_werkzeug(stored_hash, w)) {
        return "unknown";
    }
    if (w.digest == nullptr) {
        return "scrypt";
    }
    std::string_view method = stored_hash.substr(0, stored_hash.find('$')); // pbkdf2:sha1[:N]
    method.remove_prefix(7);
    return "pbkdf2-" + std::string(method.substr(0, method.find(':')));
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
