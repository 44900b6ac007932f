#include "util/fs_util.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace twofa::detail {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

Status make_private_dir(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return make_error(Exit::config, path + " exists and is not a folder", "move it away");
        }
        return {};
    }
    std::string parent = parent_dir(path);
    if (parent != path && parent != "/" && parent != ".") {
        if (::stat(parent.c_str(), &st) != 0) {
            // Intermediate folders get the usual 0755 (umask applies), like mkdir -p.
            if (auto r = make_private_dir(parent); !r.ok()) {
                return r;
            }
            ::chmod(parent.c_str(), 0755);
        }
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        return make_error(Exit::store, "cannot create folder " + path + ": " + std::strerror(errno),
                          "check permissions");
    }
    return {};
}

Result<std::string> read_private_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return make_error(Exit::config, "cannot read " + path + ": " + std::strerror(errno),
                          "check the path");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Exit::config, path + " is not a regular file", "check the path");
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return make_error(Exit::config, path + " is accessible by group or others",
                          "run: chmod 600 " + path);
    }
    std::string out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

Status write_private_file(const std::string& path, const std::string& content) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return make_error(Exit::store, "cannot write " + path + ": " + std::strerror(errno),
                          "check permissions");
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ::close(fd);
            ::unlink(tmp.c_str());
            return make_error(Exit::store, "cannot write " + path + ": " + std::strerror(errno),
                              "check free space");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return make_error(Exit::store, "cannot write " + path + ": " + std::strerror(errno),
                          "check free space");
    }
    return {};
}

} // namespace twofa::detail
