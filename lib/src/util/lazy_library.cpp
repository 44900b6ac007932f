#include "util/lazy_library.hpp"

#include <cstdlib>
#include <dlfcn.h>

namespace twofa::detail {

Status LazyLibrary::load() {
    std::call_once(m_once, [this] {
        m_handle = ::dlopen(m_soname, RTLD_NOW | RTLD_LOCAL);
        if (m_handle == nullptr) {
            const char* why = ::dlerror();
            m_error = why != nullptr ? why : m_soname;
        }
    });
    if (m_handle == nullptr) {
        return make_error(Exit::unavailable,
                          "cannot load " + std::string(m_soname) + ": " + m_error,
                          std::string("install it: apt-get install ") + m_package);
    }
    return {};
}

void* LazyLibrary::symbol(const char* name) {
    void* fn = load().ok() ? ::dlsym(m_handle, name) : nullptr;
    if (fn == nullptr) {
        std::abort(); // called without checking load(), or a library without the function
    }
    return fn;
}

} // namespace twofa::detail
