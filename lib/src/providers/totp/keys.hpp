#pragma once
// The key that seals TOTP secrets: a 0600 file of 64 hex digits, outside the database; and
// what it seals (XChaCha20-Poly1305 with the provider user as associated data, so a sealed
// secret copied to another user's row does not open).
#include <twofa/result.hpp>

#include <optional>
#include <string>

namespace twofa::totp_adapter {

struct SealKey {
    std::string bytes; // 32
    std::string id;    // 16 hex digits naming the key (stored beside what it sealed)
};

// The key in the file, nullopt when there is no file. Exit::config for a file others can
// read, or one that does not hold a key.
Result<std::optional<SealKey>> load_key(const std::string& path);
// A new random key written to the file (0600, atomically); create_folder makes a missing
// folder (0700), else it must exist (Exit::config).
Result<SealKey> create_key(const std::string& path, bool create_folder);

// n bytes from the OS random source.
std::string random_bytes(std::size_t n);

std::string seal(const SealKey& key, const std::string& user, const std::string& secret);
// Exit::config when it does not open (another key, or tampered).
Result<std::string> open_sealed(const SealKey& key, const std::string& user,
                                const std::string& sealed);

// A keyed hash of a recovery code under the user's secret: useless without the key file.
std::string recovery_hash(const std::string& secret, const std::string& code);

} // namespace twofa::totp_adapter
