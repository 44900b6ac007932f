// Audit retention: pruning in short chunks, and the listener's schedule for it.
#include <twofa/audit.hpp>

namespace twofa {

Result<PruneReport> prune_audit(Store& store, int keep_days, std::int64_t now, int max_chunks) {
    PruneReport report;
    report.before = now - static_cast<std::int64_t>(keep_days) * 86400;
    for (int chunk = 0; max_chunks == 0 || chunk < max_chunks; ++chunk) {
        TRY_ASSIGN(std::int64_t removed, store.prune_audit(report.before, k_prune_chunk));
        report.removed += removed;
        if (removed < k_prune_chunk) {
            return report;
        }
    }
    report.complete = false;
    return report;
}

void AuditRetention::tick() {
    const std::int64_t now = m_clock();
    if (m_keep_days <= 0 || now < m_next) {
        return;
    }
    auto r = prune_audit(m_store, m_keep_days, now, 4);
    // Unfinished: go on after the next batch; done or failed: again in an hour (a failure is
    // the store's, which the callbacks' own replies report).
    m_next = r.ok() && !r->complete ? now : now + 3600;
}

} // namespace twofa
