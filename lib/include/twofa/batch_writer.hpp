#pragma once
// The listener's single writer: verified push results queue up while a commit runs and go to
// the store together in the next one (one fsync for the group); each request is answered
// only after the commit that holds it, 200 with the outcome, or 503 (Retry-After: 1) when the
// commit failed. A unit of its own so its grouping and replies are tested without a socket.
#include <twofa/http_server.hpp>
#include <twofa/login.hpp>
#include <twofa/provider.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace twofa {

// Applies a batch of verified results in one transaction (Logins::apply_callbacks).
using CallbackApplier =
    std::function<Result<std::vector<CallbackOutcome>>(const std::vector<PushResult>&)>;

class BatchWriter {
  public:
    explicit BatchWriter(CallbackApplier apply);
    ~BatchWriter(); // stops: the queued results are still committed and answered
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;

    // Queues a result; respond is called once, from the writer's thread, after its commit.
    void submit(PushResult result, HttpResponder respond);
    // Commits what is queued, answers it, and ends the thread.
    void stop();

    // Results applied and commits run (one fsync each) so far; read after stop().
    struct Totals {
        std::uint64_t callbacks = 0;
        std::uint64_t commits = 0;
    };
    Totals totals() const { return m_totals; }

    // The replies to a committed (or failed) batch, in order. Pure.
    static std::vector<OutgoingReply> replies(const std::vector<PushResult>& batch,
                                              const Result<std::vector<CallbackOutcome>>& outcomes);

  private:
    struct Job {
        PushResult result;
        HttpResponder respond;
    };
    void loop();

    CallbackApplier m_apply;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_queue;
    bool m_stopping = false;
    Totals m_totals;
    std::thread m_thread;
};

} // namespace twofa
