// The SQLite backend's files: the database file's creation and permissions, and the change
// feed's folder of FIFOs beside it.
#include "store/sqlite/sqlite.hpp"

#include "util/fs_util.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

namespace twofa::sqlite {

Status prepare_file(const std::string& path, StoreOpen mode) {
    const std::string folder = detail::parent_dir(path);
    struct stat st {};
    if (mode == StoreOpen::existing && ::stat(path.c_str(), &st) != 0) {
        return make_error(Exit::store, "no database at " + strip_control(path),
                          "enroll a user first, or set the db setting or TWOFA_DB to the database");
    }
    if (mode == StoreOpen::create_with_folders) {
        TRY(detail::make_private_dir(folder));
    } else if (mode == StoreOpen::create && ::stat(folder.c_str(), &st) != 0) {
        return make_error(Exit::store,
                          "the database's folder " + strip_control(folder) + " does not exist",
                          "create it (mode 0700), or choose another database path");
    }
    int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (mode == StoreOpen::existing ? 0 : O_CREAT);
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
        return make_error(Exit::store,
                          "cannot open database " + strip_control(path) + ": " +
                              std::strerror(errno),
                          "check the database path and permissions");
    }
    int rc = ::fstat(fd, &st);
    ::close(fd);
    if (rc != 0 || !S_ISREG(st.st_mode)) {
        return make_error(Exit::store, "database " + strip_control(path) + " is not a regular file",
                          "check the database path");
    }
    if ((st.st_mode & 077) != 0) {
        return make_error(Exit::config,
                          "database " + strip_control(path) + " is accessible by group or others",
                          "run: chmod 600 " + strip_control(path));
    }
    return {};
}

namespace {

// The change feed: a folder beside the database holding one FIFO per waiting process. A
// publisher writes a byte into each after its commit; a waiter polls its own FIFO. (An inotify
// watch would do as a signal, but closing an inotify instance waits for an SRCU grace period,
// 5-15 ms added to every login that waited.)
std::string feed_dir(const std::string& db_path) {
    return db_path + "-notify.d";
}

class FifoWaiter final : public ChangeWaiter {
  public:
    FifoWaiter(std::string path, int read_fd, int write_fd)
        : m_path(std::move(path)), m_read(read_fd), m_write(write_fd) {}
    ~FifoWaiter() override {
        ::unlink(m_path.c_str());
        ::close(m_write);
        ::close(m_read);
    }
    FifoWaiter(const FifoWaiter&) = delete;
    FifoWaiter& operator=(const FifoWaiter&) = delete;

    int fd() const override { return m_read; }
    void drain() override {
        std::array<char, 256> buf{};
        while (::read(m_read, buf.data(), buf.size()) > 0) {
        }
    }

  private:
    std::string m_path;
    int m_read;
    int m_write; // our own writer: the FIFO never reports a hang-up when publishers close
};

// Without a feed: no descriptor, the caller falls back to polling the provider.
class NoWaiter final : public ChangeWaiter {
  public:
    int fd() const override { return -1; }
    void drain() override {}
};

// The feed folder, made 0700 if missing; false when it is not a folder of ours.
// Who the feed belongs to: the database file's owner. Root acting on a service user's
// database (pam_twofa, an administrator) hands what it creates over to that user, as SQLite
// does with its journal, so the listener running as that user can still wake root's logins.
struct stat db_owner(const std::string& db_path) {
    struct stat st {};
    if (::stat(db_path.c_str(), &st) != 0) {
        st.st_uid = ::geteuid();
        st.st_gid = ::getegid();
    }
    return st;
}

void hand_over(const std::string& path, const struct stat& owner) {
    if (::geteuid() == 0 && owner.st_uid != 0) {
        (void)!::lchown(path.c_str(), owner.st_uid, owner.st_gid);
    }
}

bool feed_folder(const std::string& dir, const struct stat& owner) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        hand_over(dir, owner);
    } else if (errno != EEXIST) {
        return false;
    }
    struct stat st {};
    return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
           (st.st_uid == ::geteuid() || (::geteuid() == 0 && st.st_uid == owner.st_uid)) &&
           (st.st_mode & 077) == 0;
}

// Wakes one waiter's FIFO (in the feed folder `dir_fd`); false when nobody reads it any more
// (its process died).
bool wake(int dir_fd, const std::string& name) {
    int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return errno != ENXIO;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        const char one = '1';
        (void)!::write(fd, &one, 1); // EAGAIN: a wake-up is already pending
    }
    ::close(fd);
    return true;
}

// A folder's mtime moves with each entry made or removed, but in steps of the kernel's clock
// tick (and it may lag the clock by one): an entry made within a tick of the last change can
// leave it as it was. So a list is trusted only when the folder had been still for longer
// than any tick when the list was read.
constexpr long long k_still_ns = 50'000'000;

bool still_for_a_while(const struct timespec& changed_at, const struct timespec& now) {
    const long long ns =
        (static_cast<long long>(now.tv_sec) - changed_at.tv_sec) * 1'000'000'000LL +
        (now.tv_nsec - changed_at.tv_nsec);
    return ns > k_still_ns;
}

} // namespace

ChangePublisher::ChangePublisher(const std::string& db_path) : m_dir(feed_dir(db_path)) {}

ChangePublisher::~ChangePublisher() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

void ChangePublisher::read_waiters(const struct timespec& changed_at, const struct timespec& now) {
    m_waiters.clear();
    m_known = false;
    int fd = ::openat(m_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
    if (d == nullptr) {
        if (fd >= 0) {
            ::close(fd);
        }
        return;
    }
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == 'w') {
            m_waiters.emplace_back(e->d_name);
        }
    }
    ::closedir(d);
    m_changed_at = changed_at;
    m_known = still_for_a_while(changed_at, now);
}

bool ChangePublisher::look(struct stat& st) {
    if (m_fd >= 0 && ::fstat(m_fd, &st) == 0 && st.st_nlink > 0) {
        return true;
    }
    if (m_fd >= 0) { // removed since: there may be a new one
        ::close(m_fd);
    }
    m_known = false;
    m_fd = ::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    return m_fd >= 0 && ::fstat(m_fd, &st) == 0;
}

void ChangePublisher::publish() noexcept {
    std::lock_guard lock(m_mutex);
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now); // before the folder is looked at
    struct stat st {};
    if (!look(st)) {
        return; // nobody waits (nobody has yet)
    }
    try {
        if (!m_known || st.st_mtim.tv_sec != m_changed_at.tv_sec ||
            st.st_mtim.tv_nsec != m_changed_at.tv_nsec) {
            read_waiters(st.st_mtim, now);
        }
        for (const std::string& name : m_waiters) {
            if (!wake(m_fd, name)) {
                // Left behind by a waiter that was killed. (Removing it moves the folder's mtime,
                // so the next publish reads the list again.)
                ::unlinkat(m_fd, name.c_str(), 0);
            }
        }
    } catch (const std::bad_alloc&) {
        // A name could not be kept: read_waiters left the list untrusted, to be read again.
    }
}

Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& db_path) {
    const std::string dir = feed_dir(db_path);
    const struct stat owner = db_owner(db_path);
    if (!feed_folder(dir, owner)) {
        return std::unique_ptr<ChangeWaiter>(std::make_unique<NoWaiter>());
    }
    std::array<unsigned char, 6> tag{};
    randombytes_buf(tag.data(), tag.size());
    std::string path =
        dir + "/w" + std::to_string(::getpid()) + "-" +
        to_hex(std::string_view(reinterpret_cast<const char*>(tag.data()), tag.size()));
    if (::mkfifo(path.c_str(), 0600) != 0) {
        return std::unique_ptr<ChangeWaiter>(std::make_unique<NoWaiter>());
    }
    hand_over(path, owner);
    int read_fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    int write_fd =
        read_fd < 0 ? -1 : ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (write_fd < 0) {
        if (read_fd >= 0) {
            ::close(read_fd);
        }
        ::unlink(path.c_str());
        return std::unique_ptr<ChangeWaiter>(std::make_unique<NoWaiter>());
    }
    return std::unique_ptr<ChangeWaiter>(std::make_unique<FifoWaiter>(path, read_fd, write_fd));
}

} // namespace twofa::sqlite
