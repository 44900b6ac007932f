#include <twofa/watch.hpp>

#include <array>
#include <sys/inotify.h>
#include <unistd.h>

namespace twofa {

FolderWatch::FolderWatch(const std::string& folder) {
    m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (m_fd >= 0 &&
        ::inotify_add_watch(m_fd, folder.c_str(),
                            IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

FolderWatch::~FolderWatch() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

void FolderWatch::drain() const {
    std::array<char, 4096> buf{};
    while (m_fd >= 0 && ::read(m_fd, buf.data(), buf.size()) > 0) {
    }
}

} // namespace twofa
