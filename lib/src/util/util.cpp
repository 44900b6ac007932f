#include "util/lazy_library.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>

namespace twofa {

std::string to_hex(std::string_view raw) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (char c : raw) {
        auto b = static_cast<unsigned char>(c);
        out.push_back(k_hex[b >> 4]);
        out.push_back(k_hex[b & 0x0f]);
    }
    return out;
}

Result<std::string> from_hex(std::string_view hex) {
    auto digit = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
    };
    if (hex.size() % 2 != 0) {
        return make_error(Exit::usage, "hex text of odd length");
    }
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = digit(hex[i]);
        int lo = digit(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return make_error(Exit::usage, "not a hex digit");
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

namespace {

struct UrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of a parsed URL; "" when it is absent.
std::string part(CURLU* u, CURLUPart which, unsigned flags = 0) {
    char* text = nullptr;
    if (curl_url_get(u, which, &text, flags) != CURLUE_OK || text == nullptr) {
        return "";
    }
    std::string out(text);
    curl_free(text);
    return out;
}

bool is_ipv4_loopback(std::string_view host) {
    int parts = 0;
    while (true) {
        auto dot = host.find('.');
        std::string_view p = host.substr(0, dot);
        int v = -1;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || p.size() > 3 || ec != std::errc() || end != p.data() + p.size() ||
            v > 255 || (parts == 0 && v != 127)) {
            return false;
        }
        ++parts;
        if (dot == std::string_view::npos) {
            return parts == 4;
        }
        host.remove_prefix(dot + 1);
    }
}

} // namespace

Result<Url> parse_url(const std::string& text) {
    TRY(detail::load_libcurl());
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
        return make_error(Exit::usage, "'" + strip_control(text) + "' is not a URL",
                          "e.g. https://host/path");
    }
    Url url;
    url.scheme = part(u.get(), CURLUPART_SCHEME);
    if (url.scheme != "http" && url.scheme != "https") {
        return make_error(Exit::usage,
                          "URL scheme '" + strip_control(url.scheme) + "' is not http(s)",
                          "use https://");
    }
    url.host = part(u.get(), CURLUPART_HOST);
    if (url.host.size() > 2 && url.host.front() == '[') {
        url.host = url.host.substr(1, url.host.size() - 2);
    }
    std::string port = part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    url.port = port.empty() ? 0 : std::stoi(port);
    url.path = part(u.get(), CURLUPART_PATH);
    url.has_query_or_fragment = !part(u.get(), CURLUPART_QUERY).empty() ||
                                !part(u.get(), CURLUPART_FRAGMENT).empty() ||
                                text.find_first_of("?#") != std::string::npos;
    url.has_user_info =
        !part(u.get(), CURLUPART_USER).empty() || text.find('@') != std::string::npos;
    return url;
}

bool is_loopback_host(std::string_view host) noexcept {
    return host == "localhost" || host == "::1" || is_ipv4_loopback(host);
}

Result<HostPort> parse_host_port(std::string_view text) {
    auto colon = text.rfind(':');
    HostPort hp;
    int port = -1;
    if (colon != std::string_view::npos && colon > 0) {
        std::string_view digits = text.substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
            port = -1;
        }
        hp.host = std::string(text.substr(0, colon));
    }
    if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
        hp.host = hp.host.substr(1, hp.host.size() - 2);
    } else if (hp.host.find(':') != std::string::npos) {
        port = -1; // an IPv6 address needs its brackets
    }
    if (port < 0 || port > 65535 || hp.host.empty()) {
        return make_error(Exit::usage, "'" + strip_control(text) + "' is not HOST:PORT",
                          "e.g. 127.0.0.1:8080 or [::1]:8080");
    }
    hp.port = port;
    return hp;
}

std::string host_port_text(const std::string& host, int port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
}

namespace {
// Edits between two short words (suggestions are computed over a handful of names).
std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& names) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const std::string& name : names) {
        const std::size_t d = name.starts_with(word) && word.size() >= 2 ? 1 : distance(word, name);
        if (d < best_distance) {
            best = name;
            best_distance = d;
        }
    }
    return best;
}

std::int64_t unix_now() noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double unix_now_precise() noexcept {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace twofa
