// X-Twilio-Signature (verify-v2.md §2): HMAC-SHA1 over the URL and the sorted parameters.
#include <twofa/util.hpp>
#include <twofa/verify/wire.hpp>

#include <algorithm>

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
    return hmac_base64(HmacHash::sha1, token, data);
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

} // namespace twofa::verify
