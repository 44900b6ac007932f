// X-Twilio-Signature (verify-v2.md §2): HMAC-SHA1 over the URL and the sorted parameters.
#include <twofa/util.hpp>
#include <twofa/verify/wire.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

namespace twofa::verify {

std::string twilio_signature(std::string_view token, std::string_view url, const Form& params) {
    // Names sorted; each name's distinct values sorted: sorting the distinct pairs does both.
    Form sorted = params;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string data(url);
    for (const auto& [name, value] : sorted) {
        data += name;
        data += value;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha1(), token.data(), static_cast<int>(token.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
    int n = EVP_EncodeBlock(b64.data(), mac.data(), static_cast<int>(len));
    return {reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n)};
}

std::vector<std::string> signed_url_variants(const std::string& url) {
    std::vector<std::string> out{url};
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return out;
    }
    std::string scheme = url.substr(0, scheme_end);
    auto host_start = scheme_end + 3;
    auto host_end = url.find_first_of("/?#", host_start);
    if (host_end == std::string::npos) {
        host_end = url.size();
    }
    std::string authority = url.substr(host_start, host_end - host_start);
    // The port follows the last ':' after any IPv6 literal's ']'.
    auto bracket = authority.rfind(']');
    auto colon = authority.rfind(':');
    bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
    std::string host = has_port ? authority.substr(0, colon) : authority;
    std::string rest = url.substr(host_end);
    std::string prefix = url.substr(0, host_start);
    if (has_port) {
        out.push_back(prefix + host + rest);
    } else {
        out.push_back(prefix + host + (scheme == "https" ? ":443" : ":80") + rest);
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
    return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

} // namespace twofa::verify
