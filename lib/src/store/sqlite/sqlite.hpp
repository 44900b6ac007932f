#pragma once
// The SQLite backend's internal pieces, shared by its files: schema, files, rows.
// SQLiteCpp and every SQL string of the project live under lib/src/store/sqlite/.
#include "store/records.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <sys/stat.h>
#include <thread>

namespace twofa::sqlite {

// An SQLite failure as a twofa Error (busy, read-only, corrupt, other).
Error store_error(const std::string& what, const SQLite::Exception& e);

// How long a writer waits for another process's lock (SQLite's busy timeout).
inline constexpr int k_busy_timeout_ms = 5000;

// WAL, synchronous = FULL, foreign keys.
void apply_pragmas(SQLite::Database& db);

// Runs the migrations from the database's version up to `target`, each in its own
// transaction together with its version bump; the version found. Exit::store for a newer
// database.
Result<int> migrate(SQLite::Database& db, int target);

// db copy's reads and writes of whole rows (rows.cpp).
TableRows read_rows(SQLite::Database& db, const std::string& table, const std::string& key,
                    std::int64_t offset, int limit);
void write_rows(SQLite::Database& db, const std::string& table, const std::string& key,
                const TableRows& rows);

// Creates the file 0600 before SQLite touches it (unless `existing`), and refuses an existing
// file that group or others can access. Folders: see StoreOpen.
Status prepare_file(const std::string& path, StoreOpen mode);

// The change feed of the database at `path`: <path>-notify.d/, one FIFO per waiting process.
Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& db_path);

// The feed's publishing side: wakes every waiter after a commit. The listener publishes after
// each group commit, so it keeps the folder open and reads its entries again only when the
// folder has changed since (a waiter came or went): one fstat(2) when nobody waits, 0.7-0.9 us
// a commit, where opening and reading the folder each time took about 8 us.
class ChangePublisher {
  public:
    explicit ChangePublisher(const std::string& db_path);
    ~ChangePublisher();
    ChangePublisher(const ChangePublisher&) = delete;
    ChangePublisher& operator=(const ChangePublisher&) = delete;
    void publish() noexcept;

  private:
    // The folder open and its stat in `st`; false when there is none (yet).
    bool look(struct stat& st);
    void read_waiters(const struct timespec& changed_at, const struct timespec& now);

    std::mutex m_mutex;
    std::string m_dir;
    int m_fd = -1;                      // the folder, once it exists
    struct timespec m_changed_at {};    // its mtime when m_waiters was read
    bool m_known = false;               // m_waiters is the folder's list as of m_changed_at
    std::vector<std::string> m_waiters; // the FIFOs' names
};

// Process-wide SQLite settings, before its first use: no memory statistics (they take a global
// mutex on every allocation). Later calls do nothing.
void configure_library();

// Moves WAL checkpoints from the writer's commits to a thread with a connection of its own
// (PASSIVE checkpoints, each time the WAL has grown by 1000 pages, and once a second);
// past 4000 pages the writer completes one itself, when the background has left it at most
// 256 pages, so the WAL can start over (bounded WAL). The writer connection must outlive it;
// destroying it restores automatic checkpoints.
class Checkpointer {
  public:
    Checkpointer(std::string path, SQLite::Database& writer);
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    // The writer committed, leaving `pages` in the WAL (its commit hook, on its thread).
    void committed(int pages);
    // No connection of its own could be opened: the writer checkpoints itself.
    bool failed() const { return m_failed.load(std::memory_order_relaxed); }
    // WAL pages the background has copied into the database since the WAL started over.
    int copied() const { return m_copied.load(std::memory_order_relaxed); }

  private:
    void run();

    std::string m_path;
    SQLite::Database& m_writer;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_due = false;
    bool m_stopping = false;
    std::atomic<bool> m_failed{false};
    std::atomic<int> m_copied{0};
    int m_requested_at = 0; // WAL pages at the last request (the writer's thread only)
    std::thread m_thread;
};

// The current row of a statement, for the shared readers (store/records.hpp).
struct Row {
    SQLite::Statement& q;
    std::string text(int i) const { return q.getColumn(i).getString(); } // NULL reads as ""
    std::int64_t int64(int i) const { return q.getColumn(i).getInt64(); }
};

// App factors and recovery codes (factors.cpp); the caller holds the store's lock.
void put_factor(SQLite::Database& db, const AppFactor& factor);
std::vector<AppFactor> factors_where(SQLite::Database& db, const std::string* provider_user);
void delete_factor(SQLite::Database& db, const std::string& provider_user);
bool claim_step(SQLite::Database& db, const std::string& provider_user, std::int64_t step);
void set_codes(SQLite::Database& db, const std::string& provider_user,
               const std::vector<std::string>& hashes);
bool use_code(SQLite::Database& db, const std::string& provider_user, const std::string& hash,
              std::int64_t now);
int codes_left(SQLite::Database& db, const std::string& provider_user);

// Binds a text, or NULL for an empty one (for UNIQUE columns, where NULLs never collide: a
// challenge handle, a Unix user).
void bind_or_null(SQLite::Statement& q, int index, const std::string& handle);

// The frequent queries, prepared once per connection.
enum class Query {
    insert_user,
    update_user,
    user_by_id,
    user_by_email,
    user_by_unix,
    session_by_hash,
    push_target,
    latest_session,
    update_session,
    update_session_state,
    update_user_status,
    audit // the last: k_queries counts up to it
};
inline constexpr std::size_t k_queries = static_cast<std::size_t>(Query::audit) + 1;
std::string sql_of(Query query);

// A cached prepared statement, reset (and its bindings cleared) when the lease ends, so no
// half-read SELECT keeps a read transaction open between calls.
class Lease {
  public:
    explicit Lease(SQLite::Statement& s) : m_s(s) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SQLite::Statement& operator*() { return m_s; }

  private:
    SQLite::Statement& m_s;
};

} // namespace twofa::sqlite
