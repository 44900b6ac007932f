// The one file that knows libcurl.
#include "util/lazy_library.hpp"

#include <twofa/http.hpp>

#include <curl/curl.h>

#include <cctype>

namespace twofa {

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* out = static_cast<std::string*>(user);
    constexpr std::size_t k_max_body = 1 << 20; // no provider's answer is larger than 1 MiB
    if (out->size() + size * n > k_max_body) {
        return 0;
    }
    out->append(data, size * n);
    return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    std::string line(data, size * n);
    constexpr std::string_view k_name = "retry-after:";
    if (line.size() > k_name.size()) {
        std::string head = line.substr(0, k_name.size());
        for (char& c : head) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (head == k_name) {
            std::string value = line.substr(k_name.size());
            auto b = value.find_first_not_of(" \t");
            auto e = value.find_last_not_of(" \t\r\n");
            *static_cast<std::string*>(user) =
                b == std::string::npos ? "" : value.substr(b, e - b + 1);
        }
    }
    return size * n;
}

class CurlTransport final : public HttpTransport {
  public:
    explicit CurlTransport(const TransportOptions& o) : m_options(o) {}
    ~CurlTransport() override {
        if (m_curl != nullptr) {
            curl_easy_cleanup(m_curl);
        }
    }
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    HttpResponse send(const HttpRequest& req) override {
        HttpResponse out;
        if (m_curl == nullptr) { // libcurl is loaded by the first request (lazy_library.hpp)
            if (auto loaded = detail::load_libcurl(); !loaded.ok()) {
                out.error = loaded.error().message + " (" + loaded.error().hint + ")";
                return out;
            }
            m_curl = curl_easy_init();
        }
        if (m_curl == nullptr) {
            out.error = "libcurl could not be initialised";
            return out;
        }
        CURL* c = m_curl;
        curl_easy_reset(c);
        curl_slist* headers = nullptr;
        for (const auto& [name, value] : req.headers) {
            headers = curl_slist_append(headers, (name + ": " + value).c_str());
        }
        curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, m_options.connect_timeout_ms);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m_options.total_timeout_ms);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.retry_after);
        if (req.method == "POST") {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
        } else if (req.method != "GET") {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
        }
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK) {
            out.status = 0;
            out.error = curl_easy_strerror(rc);
            out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
            out.maybe_sent = !(rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                               rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR ||
                               rc == CURLE_PEER_FAILED_VERIFICATION);
            return out;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
        return out;
    }

  private:
    TransportOptions m_options;
    CURL* m_curl = nullptr;
};

} // namespace

std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options) {
    return std::make_unique<CurlTransport>(options);
}

} // namespace twofa
