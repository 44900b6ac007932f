#include "service_notify.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace twofa::cli {

bool notify_service_manager(const std::string& state) {
    const char* name = std::getenv("NOTIFY_SOCKET");
    sockaddr_un addr{};
    std::size_t len = name != nullptr ? std::strlen(name) : 0;
    if (len < 2 || len >= sizeof addr.sun_path || (name[0] != '/' && name[0] != '@')) {
        return false;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name, len);
    if (name[0] == '@') {
        addr.sun_path[0] = '\0'; // abstract namespace
    }
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    bool sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                         reinterpret_cast<const sockaddr*>(&addr),
                         size) == static_cast<ssize_t>(state.size());
    ::close(fd);
    return sent;
}

} // namespace twofa::cli
