#include "harden.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace twofa::cli {

void harden_process() noexcept {
    rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

} // namespace twofa::cli
