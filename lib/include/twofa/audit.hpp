#pragma once
// Audit retention (audit.keep_days): `twofa audit prune`, and the listener's hourly pruning.
#include <twofa/store.hpp>

#include <functional>

namespace twofa {

struct PruneReport {
    std::int64_t removed = 0;
    std::int64_t before = 0; // events older than this (unix seconds) went
    bool complete = true;    // false: max_chunks stopped it with older events left
};

// Rows deleted per transaction: the write lock is held only briefly.
inline constexpr int k_prune_chunk = 5000;

// Deletes audit events older than keep_days (>= 1) before now, k_prune_chunk at a time; at
// most max_chunks chunks (0: until none is left).
Result<PruneReport> prune_audit(Store& store, int keep_days, std::int64_t now, int max_chunks = 0);

// The listener's retention, run by its writer between batches: prunes when due (hourly, or
// at once while the previous round left older events), at most a few chunks a time so no
// callback waits long behind it. Does nothing with keep_days 0.
class AuditRetention {
  public:
    AuditRetention(Store& store, int keep_days, std::function<std::int64_t()> clock)
        : m_store(store), m_keep_days(keep_days), m_clock(std::move(clock)) {}
    void tick();

  private:
    Store& m_store;
    int m_keep_days;
    std::function<std::int64_t()> m_clock;
    std::int64_t m_next = 0; // unix seconds of the next round
};

} // namespace twofa
