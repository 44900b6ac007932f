#pragma once
// A shared library loaded on first use (dlopen) instead of at start-up. libcurl and libpq pull
// in some thirty libraries between them (TLS, Kerberos, LDAP, ...), about 5 ms of start-up
// each, that most commands never use. Their functions are defined in twofa as forwarders
// (curl_lazy.cpp, pq_lazy.cpp), so the code calling them is written as if they were linked.
#include <twofa/result.hpp>

#include <mutex>
#include <string>

namespace twofa::detail {

class LazyLibrary {
  public:
    // soname: what dlopen looks for ("libpq.so.5"); package: the Debian package that has it.
    LazyLibrary(const char* soname, const char* package) : m_soname(soname), m_package(package) {}

    // Loads it (once; later calls return the first answer). Exit::unavailable when it is
    // missing, with the package to install.
    Status load();
    // A function of the library, loading it first if need be. Callers check load() before
    // the first call: when the library is missing this aborts.
    void* symbol(const char* name);

  private:
    const char* m_soname;
    const char* m_package;
    std::once_flag m_once;
    void* m_handle = nullptr;
    std::string m_error;
};

// The function `name` of lib as the type Fn (decltype of the declaration in its header).
template <class Fn> Fn lazy_symbol(LazyLibrary& lib, const char* name) {
    return reinterpret_cast<Fn>(lib.symbol(name));
}

// The libraries loaded this way. Exit::unavailable when they are not installed.
Status load_libcurl(); // http/curl_lazy.cpp: before any curl_* call
Status load_libpq();   // store/postgres/pq_lazy.cpp: before any PQ* call
Status load_libssl();  // http/ssl_lazy.cpp: before any SSL_* call (the listener's TLS)
// libcrypto (util/crypto_lazy.cpp) has no load_ function: libssl3, which has it, is a
// dependency of the package, and its forwarders load it on their first call.

} // namespace twofa::detail

// Before a forwarder's definition. Hidden: the executable must not export it, or a copy of the
// library that another library loads at start-up (libssl under cpp-httplib in twofa-sandbox)
// would call back into its own forwarders.
#define TWOFA_FORWARDER __attribute__((visibility("hidden")))

// Inside a forwarder's body: `real` is the library's function of the same name.
#define TWOFA_LAZY(lib, name)                                                                      \
    static const auto real = ::twofa::detail::lazy_symbol<decltype(&::name)>(lib, #name)
