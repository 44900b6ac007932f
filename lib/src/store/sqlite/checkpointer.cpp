// WAL checkpoints off the committing thread, for a long-running writer (the listener).
#include "store/sqlite/sqlite.hpp"

#include <sqlite3.h>

#include <chrono>

namespace twofa::sqlite {

namespace {

// Past this many WAL pages (about 4 MB) after a commit, a background checkpoint is due:
// SQLite's own automatic threshold, which the hook replaces.
constexpr int k_checkpoint_pages = 1000;
// The WAL starts over only when a checkpoint has copied all of it before the next write, and
// under sustained load the background one never quite catches up. So once the WAL is past
// this size, the writer finishes the job right after a commit, as soon as the background has
// left it little to do: a short copy, where the WAL at 16000 pages took a stall of 20 ms.
constexpr int k_restart_pages = 4000;
constexpr int k_finish_pages = 256; // what the writer copies at most, then
// Past this many, the writer finishes the job however much is left (the background is late).
constexpr int k_inline_pages = 16000;

int on_commit(void* self, sqlite3* db, const char* /*name*/, int pages) {
    auto* checkpointer = static_cast<Checkpointer*>(self);
    const int left = pages - checkpointer->copied();
    if ((pages >= k_restart_pages && left <= k_finish_pages) || pages >= k_inline_pages ||
        (checkpointer->failed() && pages >= k_checkpoint_pages)) {
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else {
        checkpointer->committed(pages);
    }
    return SQLITE_OK;
}

} // namespace

Checkpointer::Checkpointer(std::string path, SQLite::Database& writer)
    : m_path(std::move(path)), m_writer(writer) {
    // The hook replaces the automatic checkpoint, which would copy pages and fsync the
    // database inside the commit of whichever writer crossed the threshold: a stall of
    // milliseconds for every request waiting on that commit.
    sqlite3_wal_hook(m_writer.getHandle(), on_commit, this);
    m_thread = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
    sqlite3_wal_hook(m_writer.getHandle(), nullptr, nullptr);
    sqlite3_wal_autocheckpoint(m_writer.getHandle(), k_checkpoint_pages);
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void Checkpointer::committed(int pages) {
    // Once per 1000 new pages: a pass copies only the latest version of each page, so passes
    // back to back would copy the same busy pages over and over.
    if (pages < m_requested_at) {
        m_requested_at = 0; // the WAL started over
        m_copied = 0;
    }
    if (pages < m_requested_at + k_checkpoint_pages) {
        return;
    }
    m_requested_at = pages;
    {
        std::lock_guard lock(m_mutex);
        m_due = true;
    }
    m_wake.notify_one();
}

void Checkpointer::run() {
    sqlite3* db = nullptr;
    // A first read makes the connection find the WAL: until then a checkpoint does nothing.
    if (sqlite3_open_v2(m_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        // No connection of its own: the writer checkpoints after its commits, as SQLite
        // usually does (the writer's connection is not this thread's to touch).
        m_failed = true;
        return;
    }
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        // Also once a second: a quiet period after a burst leaves the WAL checkpointed.
        m_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_due || m_stopping; });
        if (m_stopping) {
            break;
        }
        m_due = false;
        lock.unlock();
        // PASSIVE: copies what no reader still needs and never waits for the writer; the next
        // write transaction starts the WAL over once all of it is in the database.
        int log = 0;
        int copied = 0;
        if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) ==
            SQLITE_OK) {
            m_copied = copied; // read by the writer's hook: a stale value only moves a decision
        }
        lock.lock();
    }
    lock.unlock();
    sqlite3_close(db);
}

} // namespace twofa::sqlite
