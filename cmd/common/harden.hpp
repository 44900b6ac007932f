#pragma once
// Process hardening for the programs that hold secrets (the API key, passwords, codes).

namespace twofa::cli {

// No core dumps (RLIMIT_CORE 0) and not dumpable, so no core file and no ptrace attachment by
// another process of the same user can read the secrets out of memory. Call first in main.
void harden_process() noexcept;

} // namespace twofa::cli
