// The CSV / JSON-lines import parser and the password-hash check on each row.
#include <twofa/password.hpp>
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
    return 0;
}
