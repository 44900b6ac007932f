// The CSV / JSON-lines import parser and the password-hash check on each row; the same input
// as a ~/.google_authenticator file (user import --google-authenticator), and Base32.
#include <twofa/otp.hpp>
#include <twofa/password.hpp>
#include <twofa/totp/provider.hpp>
#include <twofa/users.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    auto rows = twofa::parse_import(input);
    if (rows.ok()) {
        for (const auto& row : *rows) {
            if (auto it = row.fields.find("password_hash"); it != row.fields.end()) {
                (void)twofa::validate_password_hash(it->second);
            }
        }
    }
    auto ga = twofa::totp_adapter::parse_google_authenticator(input);
    if (ga.ok() && (ga->window < 0 || ga->window > 2 || ga->secret.size() < 10)) {
        __builtin_trap();
    }
    if (auto raw = twofa::base32_decode(input);
        raw && twofa::base32_decode(twofa::base32_encode(*raw)) != raw) {
        __builtin_trap();
    }
    return 0;
}
