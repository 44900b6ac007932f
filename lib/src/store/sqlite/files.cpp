// The SQLite backend's files: the database file's creation and permissions, and the change
// feed's notify file beside it.
#include "store/sqlite/sqlite.hpp"

#include "util/fs_util.hpp"

#include <twofa/validate.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/inotify.h>
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

// The notify file: one byte rewritten after each published commit, so its close wakes the
// inotify watches on it (and nothing else does: the database's own writes do not).
std::string notify_path(const std::string& db_path) {
    return db_path + "-notify";
}

int open_notify(const std::string& db_path) {
    return ::open(notify_path(db_path).c_str(),
                  O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
}

class InotifyWaiter final : public ChangeWaiter {
  public:
    explicit InotifyWaiter(int fd) : m_fd(fd) {}
    ~InotifyWaiter() override { ::close(m_fd); }
    InotifyWaiter(const InotifyWaiter&) = delete;
    InotifyWaiter& operator=(const InotifyWaiter&) = delete;

    int fd() const override { return m_fd; }
    void drain() override {
        std::array<char, 4096> buf{};
        while (::read(m_fd, buf.data(), buf.size()) > 0) {
        }
    }

  private:
    int m_fd;
};

// Without inotify: no descriptor, the caller polls.
class NoWaiter final : public ChangeWaiter {
  public:
    int fd() const override { return -1; }
    void drain() override {}
};

} // namespace

void publish_change(const std::string& db_path) noexcept {
    int fd = open_notify(db_path);
    if (fd < 0) {
        return; // waiting logins fall back to the provider poll
    }
    const char one = '1';
    (void)!::pwrite(fd, &one, 1, 0);
    ::close(fd);
}

Result<std::unique_ptr<ChangeWaiter>> subscribe(const std::string& db_path) {
    // The file must exist to be watched; the subscriber may be the first to come.
    if (int fd = open_notify(db_path); fd >= 0) {
        ::close(fd);
    }
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        return std::unique_ptr<ChangeWaiter>(std::make_unique<NoWaiter>());
    }
    if (::inotify_add_watch(fd, notify_path(db_path).c_str(), IN_CLOSE_WRITE | IN_MODIFY) < 0) {
        ::close(fd);
        return std::unique_ptr<ChangeWaiter>(std::make_unique<NoWaiter>());
    }
    return std::unique_ptr<ChangeWaiter>(std::make_unique<InotifyWaiter>(fd));
}

} // namespace twofa::sqlite
