// libcurl's functions that twofa calls, forwarded to the library loaded on first use
// (util/lazy_library.hpp): only commands that make a request or read a URL pay for loading it.
#include "util/lazy_library.hpp"

#define CURL_DISABLE_TYPECHECK // the options' type-checking macros would rewrite the forwarders
#include <curl/curl.h>

#include <cstdarg>

namespace {
twofa::detail::LazyLibrary g_libcurl("libcurl.so.4", "libcurl4");
} // namespace

twofa::Status twofa::detail::load_libcurl() {
    TRY(g_libcurl.load());
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    return {};
}

extern "C" {

TWOFA_FORWARDER CURLcode curl_global_init(long flags) {
    TWOFA_LAZY(g_libcurl, curl_global_init);
    return real(flags);
}
TWOFA_FORWARDER CURL* curl_easy_init() {
    TWOFA_LAZY(g_libcurl, curl_easy_init);
    return real();
}
TWOFA_FORWARDER void curl_easy_cleanup(CURL* curl) {
    TWOFA_LAZY(g_libcurl, curl_easy_cleanup);
    real(curl);
}
TWOFA_FORWARDER void curl_easy_reset(CURL* curl) {
    TWOFA_LAZY(g_libcurl, curl_easy_reset);
    real(curl);
}
TWOFA_FORWARDER CURLcode curl_easy_perform(CURL* curl) {
    TWOFA_LAZY(g_libcurl, curl_easy_perform);
    return real(curl);
}
TWOFA_FORWARDER const char* curl_easy_strerror(CURLcode code) {
    TWOFA_LAZY(g_libcurl, curl_easy_strerror);
    return real(code);
}
// The parameter types are the header's, an enum before the "...": libcurl's own definitions
// call va_start on it the same way (clang warns about the promotion).
#ifdef __clang__
#pragma clang diagnostic ignored "-Wvarargs"
#endif

// The one argument after the option is read by its type, as libcurl reads it: the option's
// number says which (curl/curl.h, CURLOPTTYPE_*).
TWOFA_FORWARDER CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
    TWOFA_LAZY(g_libcurl, curl_easy_setopt);
    va_list args;
    va_start(args, option);
    CURLcode out = CURLE_OK;
    // NOLINTBEGIN(bugprone-branch-clone): the branches read arguments of different types
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        out = real(curl, option, va_arg(args, long));
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB) {
        out = real(curl, option, va_arg(args, void*));
    } else if (option < CURLOPTTYPE_OFF_T) {
        out = real(curl, option, va_arg(args, void (*)()));
    } else {
        out = real(curl, option, va_arg(args, curl_off_t));
    }
    // NOLINTEND(bugprone-branch-clone)
    va_end(args);
    return out;
}
// Every CURLINFO_* takes a pointer to where the answer goes.
TWOFA_FORWARDER CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
    TWOFA_LAZY(g_libcurl, curl_easy_getinfo);
    va_list args;
    va_start(args, info);
    CURLcode out = real(curl, info, va_arg(args, void*));
    va_end(args);
    return out;
}
TWOFA_FORWARDER void curl_free(void* p) {
    TWOFA_LAZY(g_libcurl, curl_free);
    real(p);
}
TWOFA_FORWARDER curl_slist* curl_slist_append(curl_slist* list, const char* text) {
    TWOFA_LAZY(g_libcurl, curl_slist_append);
    return real(list, text);
}
TWOFA_FORWARDER void curl_slist_free_all(curl_slist* list) {
    TWOFA_LAZY(g_libcurl, curl_slist_free_all);
    real(list);
}
TWOFA_FORWARDER CURLU* curl_url() {
    TWOFA_LAZY(g_libcurl, curl_url);
    return real();
}
TWOFA_FORWARDER void curl_url_cleanup(CURLU* url) {
    TWOFA_LAZY(g_libcurl, curl_url_cleanup);
    real(url);
}
TWOFA_FORWARDER CURLUcode curl_url_get(CURLU* url, CURLUPart what, char** part,
                                       unsigned int flags) {
    TWOFA_LAZY(g_libcurl, curl_url_get);
    return real(url, what, part, flags);
}
TWOFA_FORWARDER CURLUcode curl_url_set(CURLU* url, CURLUPart what, const char* part,
                                       unsigned int flags) {
    TWOFA_LAZY(g_libcurl, curl_url_set);
    return real(url, what, part, flags);
}

} // extern "C"
