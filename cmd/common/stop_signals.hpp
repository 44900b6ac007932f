#pragma once
// SIGINT / SIGTERM for the long-running servers (twofa serve-callback, twofa-sandbox): the
// signals are blocked in every thread and one thread waits for them, so no worker is ever
// interrupted in the middle of a request or a commit.
#include <functional>
#include <signal.h>

namespace twofa::cli {

class StopSignals {
  public:
    // Blocks SIGINT and SIGTERM; construct before any thread starts, so threads inherit it.
    StopSignals();
    // Runs `run` (which serves until stopped) while a waiter calls `stop` on the first stop
    // signal; run's result.
    bool serve(const std::function<bool()>& run, const std::function<void()>& stop);

  private:
    sigset_t m_set{};
};

} // namespace twofa::cli
