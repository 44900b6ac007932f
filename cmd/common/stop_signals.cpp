#include "stop_signals.hpp"

#include <atomic>
#include <pthread.h>
#include <thread>

namespace twofa::cli {

StopSignals::StopSignals() {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGINT);
    sigaddset(&m_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &m_set, nullptr);
}

bool StopSignals::serve(const std::function<bool()>& run, const std::function<void()>& stop) {
    std::atomic<bool> done{false};
    std::thread waiter([&] {
        const timespec tick{0, 200'000'000};
        while (!done) {
            if (sigtimedwait(&m_set, nullptr, &tick) > 0) {
                stop();
                return;
            }
        }
    });
    bool ok = run();
    done = true;
    waiter.join();
    return ok;
}

} // namespace twofa::cli
