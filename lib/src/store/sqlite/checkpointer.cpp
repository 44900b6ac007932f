// WAL checkpoints off the committing thread, for a long-running writer (the listener).
#include "store/sqlite/sqlite.hpp"

#include <sqlite3.h>

#include <chrono>

namespace twofa::sqlite {

namespace {

// Past this many WAL pages (about 4 MB) after a commit, a checkpoint is due: SQLite's own
// automatic threshold, which the hook replaces.
constexpr int k_checkpoint_pages = 1000;
// The WAL starts over only when a checkpoint has copied all of it before the next write: under
// sustained load the background one never quite catches up. Past this many pages the writer
// finishes the job itself, right after its commit, copying only what the background has not.
constexpr int k_inline_pages = 16000;

int on_commit(void* self, sqlite3* db, const char* /*name*/, int pages) {
    auto* checkpointer = static_cast<Checkpointer*>(self);
    if (pages >= k_inline_pages || (checkpointer->failed() && pages >= k_checkpoint_pages)) {
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
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        lock.lock();
    }
    lock.unlock();
    sqlite3_close(db);
}

} // namespace twofa::sqlite
