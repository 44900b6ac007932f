// Bulk enrollment: rows checked, registered concurrently and stored in group commits.
#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace twofa {

namespace {

std::string field(const ImportRow& row, const char* key) {
    auto it = row.fields.find(key);
    return it == row.fields.end() ? std::string() : it->second;
}

// Rows whose email appeared on an earlier row: the first row of an email wins, by position in
// the file, whatever order workers run in.
std::vector<bool> later_duplicates(const std::vector<ImportRow>& rows) {
    std::vector<bool> duplicate(rows.size(), false);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        duplicate[i] = !seen.insert(lower(field(rows[i], "email"))).second;
    }
    return duplicate;
}

// Rows the provider has registered wait here and are stored together, while their workers go
// on with the next rows: the worker that hands a row in when no commit is running stores
// everything queued in one transaction (one fsync for the group, as the listener groups
// callbacks). A worker that must wait for its rows (at the end, or with too many in flight)
// stores the queue itself when no commit is running.
class GroupCommit {
  public:
    struct Job {
        std::size_t index; // in the input
        PendingUser pending;
        bool stored = false; // under the commit's mutex
    };

    GroupCommit(Store& store, std::int64_t now) : m_store(store), m_now(now) {}

    void hand_in(Job& job) {
        std::unique_lock lock(m_mutex);
        m_queue.push_back(&job);
        if (!m_busy) {
            commit_queue(lock);
        }
    }

    bool stored(const Job& job) {
        std::lock_guard lock(m_mutex);
        return job.stored;
    }

    void wait(const Job& job) {
        std::unique_lock lock(m_mutex);
        while (!job.stored) {
            if (m_busy || m_queue.empty()) {
                m_finished.wait(lock);
            } else {
                commit_queue(lock);
            }
        }
    }

  private:
    void commit_queue(std::unique_lock<std::mutex>& lock) {
        m_busy = true;
        std::vector<Job*> jobs;
        jobs.swap(m_queue);
        lock.unlock();
        std::vector<PendingUser*> batch;
        batch.reserve(jobs.size());
        for (Job* j : jobs) {
            batch.push_back(&j->pending);
        }
        store_users(m_store, batch, m_now);
        lock.lock();
        for (Job* j : jobs) {
            j->stored = true;
        }
        m_busy = false;
        m_finished.notify_all();
    }

    Store& m_store;
    std::int64_t m_now;
    std::mutex m_mutex;
    std::condition_variable m_finished;
    std::vector<Job*> m_queue;
    bool m_busy = false;
};

// What is known of a row before any provider call: its outcome (invalid, a duplicate, already
// enrolled), or the user to register.
struct Planned {
    std::optional<RowOutcome> outcome;
    PendingUser pending;
};

RowOutcome outcome_of(std::size_t line, const PendingUser& p) {
    RowOutcome out{line, p.user.email, "failed", "", {}};
    const Result<AddOutcome>& added = *p.outcome;
    if (!added.ok()) {
        out.error = added.error();
    } else {
        out.provider_user = added->user.provider_user;
        out.result = added->created ? "enrolled" : "exists";
    }
    return out;
}

// Validates every row and looks up, a few hundred rows to a transaction, which emails are
// enrolled already, so that the workers make no store access before their rows' commit.
std::vector<Planned> plan_rows(Store& store, const std::vector<ImportRow>& rows) {
    constexpr std::size_t k_rows_per_lookup = 512;
    std::vector<Planned> plan(rows.size());
    const std::vector<bool> duplicate = later_duplicates(rows);
    std::vector<std::size_t> to_check;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const ImportRow& row = rows[i];
        RowOutcome out{row.line, strip_control(field(row, "email")), "failed", "", {}};
        auto user = validate_user_fields({field(row, "email"), field(row, "phone"),
                                          field(row, "country_code"), field(row, "name"),
                                          field(row, "unix_user")});
        std::string hash = field(row, "password_hash");
        Status hash_ok = hash.empty() ? Status{} : validate_password_hash(hash);
        if (!user.ok() || !hash_ok.ok()) {
            out.error = user.ok() ? hash_ok.error() : user.error();
            plan[i].outcome = std::move(out);
        } else if (duplicate[i]) {
            out.email = user->email;
            out.error = make_error(Exit::usage, "email appears earlier in the file",
                                   "remove the duplicate row");
            plan[i].outcome = std::move(out);
        } else {
            plan[i].pending.user = std::move(*user);
            plan[i].pending.password_hash = std::move(hash);
            to_check.push_back(i);
        }
    }
    for (std::size_t start = 0; start < to_check.size(); start += k_rows_per_lookup) {
        const std::size_t end = std::min(to_check.size(), start + k_rows_per_lookup);
        Status st = store.snapshot([&]() -> Status {
            for (std::size_t k = start; k < end; ++k) {
                check_user(store, plan[to_check[k]].pending);
            }
            return {};
        });
        for (std::size_t k = start; k < end; ++k) {
            Planned& p = plan[to_check[k]];
            if (!st.ok()) {
                p.pending.outcome = st.error();
            }
            if (p.pending.outcome) {
                p.outcome = outcome_of(rows[to_check[k]].line, p.pending);
            }
        }
    }
    return plan;
}

// Rows finish out of order with several jobs; they are reported in input order, each as soon
// as every row before it has finished.
class InOrderReport {
  public:
    InOrderReport(const ImportOptions& options, std::size_t total)
        : m_options(options), m_finished(total) {
        m_summary.total = total;
    }

    void operator()(std::size_t index, RowOutcome out) {
        std::lock_guard lock(m_mutex);
        m_finished[index] = std::move(out);
        for (; m_done < m_finished.size() && m_finished[m_done]; ++m_done) {
            const RowOutcome& row = *m_finished[m_done];
            if (row.result == "enrolled") {
                ++m_summary.enrolled;
            } else if (row.result == "exists") {
                ++m_summary.existed;
            } else if (m_summary.failed++ == 0) {
                m_summary.first_failure = row.error.code; // rows come in line order
            }
            if (m_options.on_row) {
                m_options.on_row(row, m_done + 1, m_summary.total);
            }
            m_finished[m_done].reset();
        }
    }

    const ImportOptions& options() const { return m_options; }

    // After every worker has finished: the rows never reported were never started.
    ImportSummary summary() const {
        ImportSummary s = m_summary;
        s.skipped = s.total - m_done;
        return s;
    }

  private:
    const ImportOptions& m_options;
    std::mutex m_mutex;
    std::vector<std::optional<RowOutcome>> m_finished;
    std::size_t m_done = 0; // rows reported
    ImportSummary m_summary;
};

// One worker: takes the next row until none is left, registers it with its own provider and
// hands it to the group commit, keeping at most k_in_flight rows queued there.
void work(const ProviderFactory& providers, const std::vector<ImportRow>& rows,
          std::vector<Planned>& plan, std::atomic<std::size_t>& next, GroupCommit& commits,
          InOrderReport& report) {
    constexpr std::size_t k_in_flight = 32;
    auto provider = providers(); // one connection per worker
    std::list<GroupCommit::Job> queued;
    auto finish = [&](GroupCommit::Job& job) {
        commits.wait(job);
        finish_user(job.pending);
        report(job.index, outcome_of(rows[job.index].line, job.pending));
    };
    const std::atomic<bool>* stop = report.options().stop;
    while (stop == nullptr || !stop->load()) {
        const std::size_t i = next++;
        if (i >= rows.size()) {
            break;
        }
        Planned& p = plan[i];
        if (!p.outcome && !provider.ok()) {
            p.outcome =
                RowOutcome{rows[i].line, p.pending.user.email, "failed", "", provider.error()};
        }
        if (p.outcome) {
            report(i, std::move(*p.outcome));
        } else {
            GroupCommit::Job& job = queued.emplace_back(GroupCommit::Job{i, std::move(p.pending)});
            job.pending.provider = provider->get();
            register_user(job.pending);
            if (job.pending.outcome) {
                report(i, outcome_of(rows[i].line, job.pending));
                queued.pop_back();
            } else {
                commits.hand_in(job);
            }
        }
        while (!queued.empty() && (queued.size() > k_in_flight || commits.stored(queued.front()))) {
            finish(queued.front());
            queued.pop_front();
        }
    }
    for (auto& job : queued) {
        finish(job);
    }
}

} // namespace

ImportSummary import_users(Store& store, const ProviderFactory& providers,
                           const std::vector<ImportRow>& rows, const ImportOptions& options,
                           std::int64_t now) {
    InOrderReport report(options, rows.size());
    std::vector<Planned> plan = plan_rows(store, rows);
    std::atomic<std::size_t> next{0};
    GroupCommit commits(store, now);
    int jobs = std::max(
        1, std::min<int>(options.jobs, static_cast<int>(std::max<std::size_t>(rows.size(), 1))));
    std::vector<std::thread> threads;
    for (int i = 1; i < jobs; ++i) {
        threads.emplace_back([&] { work(providers, rows, plan, next, commits, report); });
    }
    work(providers, rows, plan, next, commits, report);
    for (auto& t : threads) {
        t.join();
    }
    return report.summary();
}

} // namespace twofa
