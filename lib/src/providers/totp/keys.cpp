#include "providers/totp/keys.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include "util/fs_util.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>

namespace twofa::totp_adapter {

namespace {

constexpr std::size_t k_key_bytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;

std::string key_id(const std::string& key) {
    static constexpr std::string_view label = "twofa totp key id";
    unsigned char out[8];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(label.data()),
                       label.size(), reinterpret_cast<const unsigned char*>(key.data()),
                       key.size());
    return to_hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string ad_of(const std::string& user) {
    return "twofa-totp:" + user;
}

} // namespace

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    randombytes_buf(out.data(), n);
    return out;
}

Result<std::optional<SealKey>> load_key(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
        return std::optional<SealKey>();
    }
    TRY_ASSIGN(std::string text, detail::read_private_file(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    auto bytes = from_hex(text);
    if (!bytes || bytes->size() != k_key_bytes) {
        return make_error(Exit::config,
                          "the TOTP key file " + strip_control(path) + " does not hold a key",
                          "restore it from a backup; without it no TOTP secret opens");
    }
    return std::optional<SealKey>(SealKey{*bytes, key_id(*bytes)});
}

Result<SealKey> create_key(const std::string& path, bool create_folder) {
    std::string dir = detail::parent_dir(path);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (!create_folder) {
            return make_error(Exit::config,
                              "the folder of the TOTP key file " + strip_control(path) +
                                  " does not exist",
                              "create it, or set totp.key_file");
        }
        TRY(detail::make_private_dir(dir));
    }
    std::string bytes = random_bytes(k_key_bytes);
    TRY(detail::write_private_file(path, to_hex(bytes) + "\n"));
    return SealKey{bytes, key_id(bytes)};
}

std::string seal(const SealKey& key, const std::string& user, const std::string& secret) {
    std::string nonce = random_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    std::string ad = ad_of(user);
    std::string out(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char*>(out.data()), &len,
        reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
        reinterpret_cast<const unsigned char*>(nonce.data()),
        reinterpret_cast<const unsigned char*>(key.bytes.data()));
    out.resize(len);
    return to_hex(nonce + out);
}

Result<std::string> open_sealed(const SealKey& key, const std::string& user,
                                const std::string& sealed) {
    constexpr std::size_t nonce_len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    constexpr std::size_t tag_len = crypto_aead_xchacha20poly1305_ietf_ABYTES;
    auto raw = from_hex(sealed);
    Error broken = make_error(Exit::config, "a TOTP secret does not open with the key file",
                              "the key file is not the one that sealed it; restore it");
    if (!raw || raw->size() < nonce_len + tag_len) {
        return broken;
    }
    std::string ad = ad_of(user);
    std::string out(raw->size() - nonce_len - tag_len, '\0');
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
            reinterpret_cast<const unsigned char*>(raw->data() + nonce_len),
            raw->size() - nonce_len, reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
            reinterpret_cast<const unsigned char*>(raw->data()),
            reinterpret_cast<const unsigned char*>(key.bytes.data())) != 0) {
        return broken;
    }
    out.resize(len);
    return out;
}

std::string recovery_hash(const std::string& secret, const std::string& code) {
    static constexpr std::string_view label = "twofa recovery code key";
    unsigned char key[32];
    crypto_generichash(key, sizeof key, reinterpret_cast<const unsigned char*>(secret.data()),
                       secret.size(), reinterpret_cast<const unsigned char*>(label.data()),
                       label.size());
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(code.data()),
                       code.size(), key, sizeof key);
    return to_hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

} // namespace twofa::totp_adapter
