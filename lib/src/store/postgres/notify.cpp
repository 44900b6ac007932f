// The PostgreSQL change feed: publish_change sends NOTIFY (the server delivers it only after
// the commit, to LISTENers on any host); each waiting login LISTENs on a connection of its own.
#include "store/postgres/pg_store.hpp"

#include <chrono>

namespace twofa::pg {

namespace {

class ListenWaiter final : public ChangeWaiter {
  public:
    explicit ListenWaiter(std::unique_ptr<Connection> conn) : m_conn(std::move(conn)) {}

    // The connection's socket. After the server went away: -1 (the waiting login falls
    // back to polling) until a reconnect, tried at most once a second, listens again.
    int fd() const override {
        if (m_broken && std::chrono::steady_clock::now() >= m_retry_at) {
            relisten();
        }
        return m_broken ? -1 : PQsocket(m_conn->raw());
    }

    void drain() override {
        PGconn* c = m_conn->raw();
        if (PQconsumeInput(c) == 0) {
            relisten();
            return;
        }
        while (PGnotify* n = PQnotifies(c)) {
            PQfreemem(n);
        }
    }

    Status listen() const {
        try {
            m_conn->exec(std::string("LISTEN ") + k_channel);
            return {};
        } catch (const PgError& e) {
            return store_error("cannot listen for changes", e, m_conn->url());
        }
    }

  private:
    void relisten() const {
        m_broken = !listen().ok(); // exec reconnects first
        m_retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }

    // Mutable: fd() reconnects (it is what the waiting loop asks each round).
    mutable std::unique_ptr<Connection> m_conn;
    mutable bool m_broken = false;
    mutable std::chrono::steady_clock::time_point m_retry_at;
};

} // namespace

Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& url) {
    TRY_ASSIGN(auto conn, Connection::open(url));
    auto waiter = std::make_unique<ListenWaiter>(std::move(conn));
    TRY(waiter->listen());
    return std::unique_ptr<ChangeWaiter>(std::move(waiter));
}

} // namespace twofa::pg
