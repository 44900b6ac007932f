#include <twofa/otp.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace twofa {

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

} // namespace twofa
