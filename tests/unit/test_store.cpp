#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/audit.hpp>
#include <twofa/store.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <poll.h>
#include <sys/stat.h>

using namespace twofa;

namespace {

UserRecord sample(const std::string& email) {
    UserRecord u;
    u.email = email;
    u.name = "Alice";
    u.country_code = 1;
    u.phone = "5551230000";
    u.provider = "authy";
    u.provider_user = "1001";
    u.password_hash = "$argon2id$x";
    u.created_at = u.updated_at = 1700000000;
    return u;
}

int user_version(const std::string& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
}

} // namespace

TEST_CASE("a new store is created 0600 in a 0700 folder, fully migrated") {
    TempDir dir;
    auto path = dir.file("data/twofa/twofa.db");
    auto store = open_sqlite_store(path);
    REQUIRE(store.ok());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(dir.file("data/twofa").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK((*store)->check_health().ok());
    CHECK(user_version(path) == k_schema_version);
}

TEST_CASE("a database readable by others is refused with exit 10") {
    TempDir dir;
    auto path = dir.file("twofa.db");
    { REQUIRE(open_sqlite_store(path).ok()); }
    ::chmod(path.c_str(), 0644);
    auto again = open_sqlite_store(path);
    REQUIRE(!again.ok());
    CHECK(again.error().code == Exit::config);
}

TEST_CASE("users: unique email regardless of case, find, list, update, delete") {
    TempDir dir;
    auto store = std::move(open_sqlite_store(dir.file("t.db")).value());
    auto id = store->insert_user(sample("Alice@Example.com"));
    REQUIRE(id.ok());
    auto dup = store->insert_user(sample("alice@example.COM"));
    REQUIRE(!dup.ok());
    CHECK(dup.error().code == Exit::conflict);
    auto found = store->find_user("ALICE@example.com");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->email == "Alice@Example.com");
    CHECK((*found)->id == *id);
    UserRecord u = **found;
    u.status = SessionState::locked;
    u.failed_logins = 4;
    u.locked_until = 1700000500;
    CHECK(store->update_user(u).ok());
    auto after = store->find_user("alice@example.com");
    CHECK((*after)->failed_logins == 4);
    CHECK((*after)->status == SessionState::locked);
    REQUIRE(store->insert_user(sample("bob@example.com")).ok());
    std::vector<std::string> all;
    REQUIRE(store
                ->each_user(false,
                            [&](UserRecord&& user, std::optional<SessionRecord>&& latest) {
                                CHECK_FALSE(latest.has_value());
                                all.push_back(user.email);
                                return Status{};
                            })
                .ok());
    CHECK(all == std::vector<std::string>{"Alice@Example.com", "bob@example.com"});
    CHECK(*store->delete_user("alice@example.com"));
    CHECK(!*store->delete_user("alice@example.com"));
    CHECK(!(*store->find_user("alice@example.com")).has_value());
}

TEST_CASE("a push result's narrow writes change only a state's columns") {
    TempDir dir;
    auto store = std::move(open_sqlite_store(dir.file("t.db")).value());
    UserRecord u = sample("alice@example.com");
    u.id = store->insert_user(u).value();
    SessionRecord s;
    s.id_hash = "h1";
    s.user_id = u.id;
    s.provider = "authy";
    s.provider_user = "1001";
    s.method = Channel::push;
    s.status = SessionState::onetouch;
    s.challenge = "c-1";
    s.attempts = 2;
    s.created_at = s.updated_at = 1700000000;
    s.expires_at = 1700000300;
    s.id = store->insert_session(s).value();
    // Fields that only the full writes may change are altered in memory, and must not land.
    SessionRecord changed = s;
    changed.status = SessionState::approved;
    changed.expires_at = 1700009999;
    changed.updated_at = 1700000100;
    changed.challenge = "c-2";
    changed.attempts = 5;
    changed.method = Channel::sms;
    REQUIRE(store->update_session_state(changed).ok());
    auto back = store->find_session("h1").value().value();
    CHECK(back.status == SessionState::approved);
    CHECK(back.expires_at == 1700009999);
    CHECK(back.updated_at == 1700000100);
    CHECK(back.challenge == "c-1");
    CHECK(back.attempts == 2);
    CHECK(back.method == Channel::push);
    UserRecord uc = u;
    uc.status = SessionState::approved;
    uc.updated_at = 1700000100;
    uc.failed_logins = 7;
    uc.password_hash = "$argon2id$y";
    REQUIRE(store->update_user_status(uc).ok());
    auto user = store->find_user_by_id(u.id).value().value();
    CHECK(user.status == SessionState::approved);
    CHECK(user.updated_at == 1700000100);
    CHECK(user.failed_logins == 0);
    CHECK(user.password_hash == "$argon2id$x");
    SessionRecord gone = changed;
    gone.id = 999;
    CHECK(store->update_session_state(gone).error().code == Exit::not_found);
}

TEST_CASE("a failed transaction leaves nothing behind") {
    TempDir dir;
    auto store = std::move(open_sqlite_store(dir.file("t.db")).value());
    Status st = store->transaction([&]() -> Status {
        REQUIRE(store->insert_user(sample("a@example.com")).ok());
        REQUIRE(store->audit({1, "user.add", "a@example.com", "", "ok", ""}).ok());
        return make_error(Exit::unavailable, "provider down");
    });
    CHECK(!st.ok());
    CHECK(!(*store->find_user("a@example.com")).has_value());
    CHECK(store->recent_audit(10)->empty());
    CHECK(store->transaction([&]() -> Status {
                   return store->audit({2, "x", "", "", "ok", ""});
               })
              .ok());
    CHECK(store->recent_audit(10)->size() == 1);
}

TEST_CASE("a snapshot reads one view, leaves the write lock to others, and refuses writes") {
    TempDir dir;
    auto path = dir.file("t.db");
    auto store = std::move(open_sqlite_store(path).value());
    REQUIRE(store->insert_user(sample("a@example.com")).ok());
    auto other = std::move(open_sqlite_store(path).value());
    Status st = store->snapshot([&]() -> Status {
        CHECK((*store->find_user("a@example.com")).has_value());
        // Another process writes meanwhile, without waiting (the busy timeout is 5 s).
        auto started = std::chrono::steady_clock::now();
        CHECK(other->insert_user(sample("b@example.com")).ok());
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
        CHECK(!(*store->find_user("b@example.com")).has_value()); // the view began before
        CHECK(!store->audit({1, "x", "", "", "ok", ""}).ok());
        return {};
    });
    CHECK(st.ok());
    CHECK((*store->find_user("b@example.com")).has_value());
    CHECK(store->recent_audit(10)->empty());
    CHECK(store->audit({2, "x", "", "", "ok", ""}).ok()); // writable again after it
}

TEST_CASE("migration from every older version keeps the data") {
    for (int from = 0; from < k_schema_version; ++from) {
        CAPTURE(from);
        TempDir dir;
        auto path = dir.file("old.db");
        REQUIRE(migrate_sqlite_file(path, from).ok());
        ::chmod(path.c_str(), 0600);
        CHECK(user_version(path) == from);
        // Rows as that version's columns hold them (v4 renamed the Authy-specific ones).
        if (from >= 1) {
            SQLite::Database db(path, SQLite::OPEN_READWRITE);
            db.exec(from >= 4 ? "INSERT INTO users (email, country_code, phone, provider, "
                                "provider_user, created_at, updated_at) VALUES "
                                "('old@example.com', 44, '7700900000', 'authy', '77', 1, 1)"
                              : "INSERT INTO users (email, country_code, phone, authy_id, "
                                "created_at, updated_at) VALUES ('old@example.com', 44, "
                                "'7700900000', 77, 1, 1)");
        }
        if (from >= 2) {
            SQLite::Database db(path, SQLite::OPEN_READWRITE);
            db.exec(std::string("INSERT INTO login_sessions (id_hash, user_id, method, status, "
                                "created_at, expires_at, updated_at, ") +
                    (from >= 4 ? "challenge, provider_user) " : "approval_uuid) ") +
                    "VALUES ('h', 1, 'onetouch', 'onetouch', 1, 9999999999, 1, 'uuid-1'" +
                    (from >= 4 ? ", '77')" : ")"));
        }
        auto store = open_sqlite_store(path);
        REQUIRE(store.ok());
        CHECK(user_version(path) == k_schema_version);
        CHECK((*store)->check_health().ok());
        if (from >= 1) {
            auto u = (*store)->find_user("old@example.com");
            REQUIRE(u->has_value());
            CHECK((*u)->provider == "authy"); // v4: carried over as Authy's
            CHECK((*u)->provider_user == "77");
            CHECK((*u)->status == SessionState::unverified);
        }
        CHECK((*store)->audit({1, "e", "", "", "ok", ""}).ok());    // v2 table exists
        CHECK(!(*store)->find_app_factor("x").value().has_value()); // v5 tables exist
        CHECK((*store)->recovery_codes_left("x").value() == 0);
        CHECK(!(*store)->find_user_by_unix("root").value().has_value()); // v6
        if (from >= 1) {
            auto u = (*store)->find_user("old@example.com").value().value();
            CHECK(u.code_failures == 0); // v3 columns, with their defaults
            CHECK(u.code_locked_until == 0);
        }
        if (from >= 2) {
            auto t = (*store)->find_push_target("authy", "uuid-1").value();
            REQUIRE(t.has_value());
            const SessionRecord& s = t->session;
            CHECK(s.id_hash == "h");
            CHECK(s.provider_user == "77");
            CHECK(s.method == Channel::push);
            CHECK(s.status == SessionState::onetouch);
            CHECK(t->latest_session_id == s.id);
            REQUIRE(t->user.has_value());
            CHECK(t->user->email == "old@example.com");
            CHECK(!(*store)->find_push_target("other", "uuid-1").value().has_value());
        }
    }
}

TEST_CASE("the store is chosen by the db setting's scheme") {
    TempDir dir;
    CHECK(open_store("sqlite://" + dir.file("a.db"), StoreOpen::create).ok());
    struct stat st {};
    CHECK(::stat(dir.file("a.db").c_str(), &st) == 0);
    CHECK(open_store(dir.file("b.db"), StoreOpen::create).ok());
    // Refused before any connection is tried (no traffic leaves loopback).
    for (const char* url : {"mysql://db.example/twofa", "postgresql://twofa:secret@127.0.0.1/x",
                            "postgres://127.0.0.1:99999999/x?nonsense=1"}) {
        CAPTURE(url);
        auto r = open_store(url, StoreOpen::create);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Exit::config);
    }
    auto pw = open_store("postgresql://twofa:secret@127.0.0.1/x", StoreOpen::create);
    CHECK(pw.error().text().find("secret") == std::string::npos);
    CHECK(pw.error().text().find("password file") != std::string::npos);
}

TEST_CASE("the change feed wakes a subscriber only when a change is published") {
    TempDir dir;
    auto writer = std::move(open_sqlite_store(dir.file("t.db")).value());
    auto reader = std::move(open_sqlite_store(dir.file("t.db")).value());
    auto waiter = std::move(reader->subscribe().value());
    REQUIRE(waiter->fd() >= 0);
    pollfd p{waiter->fd(), POLLIN, 0};
    REQUIRE(writer->insert_user(sample("a@example.com")).ok()); // a write alone: no signal
    CHECK(::poll(&p, 1, 50) == 0);
    writer->publish_change();
    CHECK(::poll(&p, 1, 1000) == 1);
    waiter->drain();
    CHECK(::poll(&p, 1, 0) == 0);
    struct stat st {};
    REQUIRE(::stat(dir.file("t.db-notify.d").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    auto second = std::move(reader->subscribe().value()); // every waiter is woken
    pollfd both[2] = {{waiter->fd(), POLLIN, 0}, {second->fd(), POLLIN, 0}};
    writer->publish_change();
    CHECK(::poll(both, 2, 1000) == 2);
    second.reset(); // a waiter that leaves takes its FIFO with it
    std::size_t fifos = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator(dir.file("t.db-notify.d"))) {
        ++fifos;
    }
    CHECK(fifos == 1);
}

TEST_CASE("the change feed cleans up after a waiter that was killed") {
    TempDir dir;
    auto store = std::move(open_sqlite_store(dir.file("t.db")).value());
    REQUIRE(::mkdir(dir.file("t.db-notify.d").c_str(), 0700) == 0);
    REQUIRE(::mkfifo(dir.file("t.db-notify.d/w1-dead").c_str(), 0600) == 0); // no reader
    store->publish_change();
    struct stat st {};
    CHECK(::stat(dir.file("t.db-notify.d/w1-dead").c_str(), &st) != 0);
}

namespace {

// The feed folder's mtime set to `at` (for the publisher's cache of the waiters it lists).
void set_folder_mtime(const std::string& dir, const struct timespec& at) {
    const struct timespec times[2] = {at, at};
    REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0);
}

bool woken(ChangeWaiter& w) {
    pollfd p{w.fd(), POLLIN, 0};
    const bool r = ::poll(&p, 1, 1000) == 1;
    w.drain();
    return r;
}

} // namespace

TEST_CASE("the change feed's publisher reads its waiters again whenever they may have changed") {
    TempDir dir;
    const std::string feed = dir.file("t.db-notify.d");
    auto writer = std::move(open_sqlite_store(dir.file("t.db")).value());
    auto reader = std::move(open_sqlite_store(dir.file("t.db")).value());
    writer->publish_change(); // no folder yet: nothing to do
    auto first = std::move(reader->subscribe().value());
    REQUIRE(first->fd() >= 0);

    SUBCASE("a list read while the folder had just changed is read again") {
        // "Just now" whatever the test's pace: a change dated ahead of the clock (a stall of
        // 50 ms between the subscribe and the publish would otherwise make the list trusted).
        const struct timespec changed { ::time(nullptr) + 3600, 0 };
        set_folder_mtime(feed, changed);
        writer->publish_change();
        CHECK(woken(*first));
        auto second = std::move(reader->subscribe().value());
        set_folder_mtime(feed, changed); // as if made within the same clock tick
        writer->publish_change();
        CHECK(woken(*first));
        CHECK(woken(*second));
    }
    SUBCASE("a list read once the folder was still is kept until the folder changes") {
        set_folder_mtime(feed, {1'000'000'000, 0}); // long still
        writer->publish_change();
        CHECK(woken(*first));
        auto second = std::move(reader->subscribe().value()); // moves the mtime: read again
        writer->publish_change();
        CHECK(woken(*first));
        CHECK(woken(*second));
        // Kept: a FIFO that appears without moving the mtime is not seen (which is why a
        // list is trusted only once the folder was still for longer than a clock tick).
        set_folder_mtime(feed, {1'000'000'000, 0});
        writer->publish_change();
        CHECK(woken(*first));
        REQUIRE(::mkfifo((feed + "/w1-unseen").c_str(), 0600) == 0);
        int unseen = ::open((feed + "/w1-unseen").c_str(), O_RDONLY | O_NONBLOCK);
        REQUIRE(unseen >= 0);
        set_folder_mtime(feed, {1'000'000'000, 0});
        writer->publish_change();
        pollfd p{unseen, POLLIN, 0};
        CHECK(::poll(&p, 1, 50) == 0);
        ::close(unseen);
    }
    SUBCASE("a folder removed and made again is found again") {
        writer->publish_change();
        CHECK(woken(*first));
        first.reset();
        std::filesystem::remove_all(feed);
        auto again = std::move(reader->subscribe().value());
        REQUIRE(again->fd() >= 0);
        writer->publish_change();
        CHECK(woken(*again));
    }
}

TEST_CASE("only a store opened for writing may be created, and only in an existing folder") {
    TempDir dir;
    auto path = dir.file("data/twofa/twofa.db");
    CHECK(open_sqlite_store(path, StoreOpen::existing).error().code == Exit::store);
    CHECK(open_sqlite_store(path, StoreOpen::create).error().code == Exit::store);
    struct stat st {};
    CHECK(::stat(dir.file("data").c_str(), &st) != 0); // nothing was made
    REQUIRE(open_sqlite_store(path, StoreOpen::create_with_folders).ok());
    CHECK(open_sqlite_store(path, StoreOpen::existing).ok());
}

TEST_CASE("a database from a newer twofa is refused") {
    TempDir dir;
    auto path = dir.file("new.db");
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA user_version = 99");
    }
    ::chmod(path.c_str(), 0600);
    auto r = open_sqlite_store(path);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::store);
}

TEST_CASE("a corrupt file is a store error, exit 11") {
    TempDir dir;
    auto path = dir.file("junk.db");
    {
        FILE* f = std::fopen(path.c_str(), "w");
        REQUIRE(f != nullptr);
        REQUIRE(std::fputs("this is not a database at all, just text that is long enough......",
                           f) >= 0);
        REQUIRE(std::fclose(f) == 0);
    }
    ::chmod(path.c_str(), 0600);
    auto r = open_sqlite_store(path);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::store);
}

constexpr std::int64_t k_day = 86400;

TEST_CASE("audit retention prunes in chunks, oldest first, and can stop part way") {
    TempDir dir;
    auto store = std::move(open_sqlite_store(dir.file("t.db")).value());
    const std::int64_t now = 2'000'000'000;
    const int old_events = 2 * k_prune_chunk + 7;
    REQUIRE(store
                ->transaction([&]() -> Status {
                    for (int i = 0; i < old_events; ++i) {
                        TRY(store->audit({now - 40 * k_day - i, "old", "", "", "ok", ""}));
                    }
                    TRY(store->audit({now - 29 * k_day, "young", "", "", "ok", ""}));
                    return {};
                })
                .ok());
    auto partial = prune_audit(*store, 30, now, 2);
    REQUIRE(partial.ok());
    CHECK(partial->removed == 2 * k_prune_chunk);
    CHECK_FALSE(partial->complete);
    CHECK(partial->before == now - 30 * k_day);
    auto rest = prune_audit(*store, 30, now);
    REQUIRE(rest.ok());
    CHECK(rest->removed == 7);
    CHECK(rest->complete);
    auto left = store->recent_audit(10).value();
    REQUIRE(left.size() == 1);
    CHECK(left[0].event == "young");

    // The listener's schedule: nothing with keep_days 0; otherwise at most hourly.
    std::int64_t clock = now;
    AuditRetention off(*store, 0, [&] { return clock; });
    REQUIRE(store->audit({now - 90 * k_day, "old", "", "", "ok", ""}).ok());
    off.tick();
    CHECK(store->recent_audit(10).value().size() == 2);
    AuditRetention hourly(*store, 30, [&] { return clock; });
    hourly.tick();
    CHECK(store->recent_audit(10).value().size() == 1);
    REQUIRE(store->audit({now - 90 * k_day, "old", "", "", "ok", ""}).ok());
    clock += 3599;
    hourly.tick();
    CHECK(store->recent_audit(10).value().size() == 2);
    clock += 1;
    hourly.tick();
    CHECK(store->recent_audit(10).value().size() == 1);
}

TEST_CASE("with upkeep in the background, the WAL is checkpointed and stays bounded") {
    TempDir dir;
    auto path = dir.file("twofa.db");
    auto store = open_sqlite_store(path).value();
    store->upkeep_in_background();
    auto wal_bytes = [&] { return std::filesystem::file_size(path + "-wal"); };
    auto db_bytes = [&] { return std::filesystem::file_size(path); };
    const std::string detail(100000, 'x'); // about 25 pages a commit
    std::uintmax_t largest_wal = 0;
    for (int i = 0; i < 1500; ++i) {
        REQUIRE(store
                    ->audit({1700000000 + i, "onetouch.callback", "a@example.com", "", "applied",
                             detail})
                    .ok());
        largest_wal = std::max(largest_wal, wal_bytes());
    }
    // About 160 MB of WAL frames in 1500 back-to-back commits: the checkpointer copied them into
    // the database, and the WAL started over at about 16000 pages (66 MB) instead of holding all
    // of it (a background checkpoint alone never catches up with a writer that never pauses).
    for (int i = 0; i < 50 && db_bytes() < 100'000'000; ++i) {
        ::poll(nullptr, 0, 100);
    }
    CHECK(db_bytes() >= 100'000'000);
    CHECK(largest_wal < 80'000'000);
    auto events = store->recent_audit(3).value();
    CHECK(events.size() == 3);
}

TEST_CASE("opening a new database while another process holds its write lock waits for it") {
    // Switching to WAL upgrades a read lock to a write lock in one statement: SQLite answers
    // SQLITE_BUSY at once, without the busy timeout, while someone else holds the write lock
    // (25 racing `user add`s on a new database met it in CI).
    TempDir dir;
    const std::string path = dir.file("t.db");
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("BEGIN IMMEDIATE");
    other.exec("CREATE TABLE elsewhere (x)"); // the write lock, nothing on disk yet
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
    auto opening = std::async(std::launch::async, [&] { return open_sqlite_store(path); });
    REQUIRE(opening.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    other.exec("ROLLBACK");
    auto store = opening.get();
    REQUIRE(store.ok());
    CHECK((*store)->find_user("a@example.com").ok());
}
