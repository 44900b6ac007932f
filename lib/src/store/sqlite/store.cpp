// Opening a store: the backend by the db setting's scheme (sqlite_store.hpp has the SQLite
// store's calls, schema.cpp the migrations, files.cpp the file checks and the change feed).
#include "store/sqlite/sqlite_store.hpp"

#include <twofa/validate.hpp>

namespace twofa {

using namespace sqlite;

Status SqliteStore::update_session_state(const SessionRecord& s) {
    return guarded_status("cannot update the session", [&]() -> Status {
        Lease lease(cached(Query::update_session_state));
        auto& q = *lease;
        q.bind(1, to_string(s.status));
        q.bind(2, s.expires_at);
        q.bind(3, s.updated_at);
        q.bind(4, s.id);
        if (q.exec() == 0) {
            return make_error(Exit::not_found, "the login session no longer exists",
                              "run twofa login again");
        }
        return {};
    });
}

Status SqliteStore::update_user_status(const UserRecord& u) {
    return guarded_status("cannot update user", [&]() -> Status {
        Lease lease(cached(Query::update_user_status));
        auto& q = *lease;
        q.bind(1, to_string(u.status));
        q.bind(2, u.updated_at);
        q.bind(3, u.id);
        if (q.exec() == 0) {
            return make_error(Exit::not_found, "user " + u.email + " no longer exists",
                              "run twofa user list");
        }
        return {};
    });
}

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, StoreOpen mode) {
    TRY(prepare_file(path, mode));
    configure_library();
    try {
        auto store = std::make_unique<SqliteStore>(path);
        TRY(store->migrate_now());
        return std::unique_ptr<Store>(std::move(store));
    } catch (const SQLite::Exception& e) {
        return store_error("cannot open database " + strip_control(path), e);
    }
}

Result<std::unique_ptr<Store>> open_store(const std::string& location, StoreOpen mode) {
    constexpr std::string_view k_sqlite = "sqlite://";
    std::string_view loc = location;
    if (loc.rfind(k_sqlite, 0) == 0) {
        return open_sqlite_store(std::string(loc.substr(k_sqlite.size())), mode);
    }
    if (loc.rfind("postgresql://", 0) == 0 || loc.rfind("postgres://", 0) == 0) {
        return open_postgres_store(location, mode);
    }
    if (auto scheme = loc.find("://"); scheme != std::string_view::npos) {
        return make_error(Exit::config,
                          "no store backend for '" + strip_control(loc.substr(0, scheme)) + "://'",
                          "use a path, sqlite:///path or postgresql://…");
    }
    return open_sqlite_store(location, mode);
}

} // namespace twofa
