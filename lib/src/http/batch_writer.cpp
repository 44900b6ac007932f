#include <twofa/batch_writer.hpp>

namespace twofa {

BatchWriter::BatchWriter(CallbackApplier apply)
    : m_apply(std::move(apply)), m_thread([this] { loop(); }) {}

BatchWriter::~BatchWriter() {
    stop();
}

void BatchWriter::submit(PushResult result, HttpResponder respond) {
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(Job{std::move(result), std::move(respond)});
    }
    m_wake.notify_one();
}

void BatchWriter::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

std::vector<OutgoingReply>
BatchWriter::replies(const std::vector<PushResult>& batch,
                     const Result<std::vector<CallbackOutcome>>& outcomes) {
    std::vector<OutgoingReply> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        OutgoingReply& r = out[i];
        r.detail = batch[i].describe();
        if (outcomes.ok() && outcomes->size() == batch.size()) {
            r.status = 200;
            r.outcome = to_string((*outcomes)[i]);
            r.body = R"({"ok":true})";
        } else {
            r.status = 503;
            r.outcome = "store-error";
            r.body = R"({"error":"try again"})";
            r.detail +=
                " " + (outcomes.ok() ? std::string("outcomes lost") : outcomes.error().message);
            r.headers.emplace_back("Retry-After", "1");
        }
    }
    return out;
}

void BatchWriter::loop() {
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty()) {
            return; // stopping, and nothing left
        }
        std::vector<Job> jobs(std::make_move_iterator(m_queue.begin()),
                              std::make_move_iterator(m_queue.end()));
        m_queue.clear();
        lock.unlock();
        std::vector<PushResult> batch;
        batch.reserve(jobs.size());
        for (Job& j : jobs) {
            batch.push_back(std::move(j.result)); // the reply needs only the responder
        }
        auto answers = replies(batch, m_apply(batch));
        m_totals.callbacks += batch.size();
        m_totals.commits += 1;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            jobs[i].respond(std::move(answers[i]));
        }
        lock.lock();
    }
}

} // namespace twofa
