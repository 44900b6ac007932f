// The HTTP/1.1 request parser and the server's own replies.
#include "server_impl.hpp"

#include <chrono>
#include <cstring>

namespace twofa {

namespace {

constexpr std::size_t k_max_headers = 100;

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

int parse_request_line(std::string_view line, IncomingRequest& req) {
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return 400;
    }
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (method.empty() || method.size() > 16 || target.empty() || target.front() != '/') {
        return 400;
    }
    for (char c : method) {
        if (c < 'A' || c > 'Z') {
            return 400;
        }
    }
    for (char c : target) {
        if (c <= 0x20 || c >= 0x7f) {
            return 400;
        }
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        return version.substr(0, 5) == "HTTP/" ? 505 : 400;
    }
    req.method = method;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    req.http10 = version == "HTTP/1.0";
    return 0;
}

int parse_header_line(std::string_view line, IncomingRequest& req) {
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
        return 400; // includes obs-fold (a line starting with white space has no valid name)
    }
    std::string name(line.substr(0, colon));
    for (char& c : name) {
        if (!is_tchar(c)) {
            return 400;
        }
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            return 400;
        }
    }
    if (req.headers.size() >= k_max_headers) {
        return 431;
    }
    req.headers.emplace_back(std::move(name), std::string(value));
    return 0;
}

} // namespace

int parse_request_head(std::string_view head, IncomingRequest& req) {
    auto eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
        return 400;
    }
    if (int s = parse_request_line(line, req); s != 0) {
        return s;
    }
    while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 2);
        eol = head.find("\r\n");
        line = head.substr(0, eol);
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            return 400; // a bare CR or LF
        }
        if (int s = parse_header_line(line, req); s != 0) {
            return s;
        }
    }
    return 0;
}

namespace http_detail {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const char* reason(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 500 ? "Error" : "Server Error";
    }
}

OutgoingReply refusal(int status, const char* outcome) {
    OutgoingReply r;
    r.status = status;
    r.outcome = outcome;
    r.body = std::string(R"({"error":")") + reason(status) + "\"}";
    return r;
}

} // namespace http_detail

} // namespace twofa
