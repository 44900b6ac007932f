#pragma once
// Password hashing: Argon2id (libsodium) for new hashes; werkzeug "pbkdf2:sha256" hashes from
// the tutorial app are accepted on import, verified, and re-hashed on the next login.
#include <twofa/result.hpp>

#include <string>
#include <string_view>

namespace twofa {

// Argon2id with at least libsodium's interactive limits. Fails (Exit::internal) only when
// memory cannot be allocated.
Result<std::string> hash_password(std::string_view password);

// True when the password matches a stored Argon2id or Werkzeug (scrypt, pbkdf2:sha1|sha256|
// sha512) hash; false for a mismatch or an unknown format. Comparison is constant-time.
bool verify_password(std::string_view password, std::string_view stored_hash);

// True when the stored hash should be replaced by a fresh Argon2id one (werkzeug hashes, or
// Argon2id below the current limits).
bool password_needs_rehash(std::string_view stored_hash);

// Checks that an imported hash is Argon2id or a well-formed Werkzeug hash within the cost
// bounds (Exit::usage otherwise).
Status validate_password_hash(std::string_view stored_hash);

// What a stored hash is, for display: "argon2id", "scrypt", "pbkdf2-sha256" (a Werkzeug hash
// not yet re-hashed by a login), "none" when empty, "unknown" otherwise.
std::string password_hash_kind(std::string_view stored_hash);

// Verifies against a fixed dummy hash, so an unknown user costs as much time as a known one.
void burn_password_check(std::string_view password);

} // namespace twofa
