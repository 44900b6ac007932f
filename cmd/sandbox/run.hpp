#pragma once
// twofa-sandbox run [--] COMMAND...: a sandbox and a callback listener on free loopback ports
// for one command (a CI job's tests), their URLs and keys in its environment, both stopped
// after it; the command's exit code.
#include <twofa/sandbox.hpp>

#include <string>
#include <vector>

namespace twofa::cli {

struct RunOptions {
    std::vector<std::string> command;
    std::string twofa; // the twofa binary that serves callbacks; "" finds it
    bool keep = false; // keep the work folder (database, listener log) for a look afterwards
};

// Runs it all; returns the exit code to exit with.
int run_with_sandbox(SandboxOptions sandbox, const RunOptions& options);

} // namespace twofa::cli
