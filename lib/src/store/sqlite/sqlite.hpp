#pragma once
// The SQLite backend's internal pieces, shared by its files: schema, files, rows.
// SQLiteCpp and every SQL string of the project live under lib/src/store/sqlite/.
#include <twofa/store.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

namespace twofa::sqlite {

// An SQLite failure as a twofa Error (busy, read-only, corrupt, other).
Error store_error(const std::string& what, const SQLite::Exception& e);

// WAL, synchronous = FULL, foreign keys.
void apply_pragmas(SQLite::Database& db);

// Runs the migrations from the database's version up to `target`, each in its own
// transaction together with its version bump. Exit::store for a newer database.
Status migrate(SQLite::Database& db, int target);

// Creates the file 0600 before SQLite touches it (unless `existing`), and refuses an existing
// file that group or others can access. Folders: see StoreOpen.
Status prepare_file(const std::string& path, StoreOpen mode);

// The change feed of the database at `path`: a notify file beside it.
void publish_change(const std::string& db_path) noexcept;
Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& db_path);

// Rows: the column lists and their readers, in the same order.
extern const char* const k_user_columns;
extern const char* const k_session_columns;
UserRecord read_user(SQLite::Statement& q);
SessionRecord read_session(SQLite::Statement& q);

} // namespace twofa::sqlite
