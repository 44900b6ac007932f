// The config loader on arbitrary file contents (a memfd stands in for the file).
#include <twofa/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static int fd = ::memfd_create("twofa-config", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, data, size, 0) != static_cast<long>(size)) {
        return 0;
    }
    static const std::string path = "/proc/self/fd/" + std::to_string(fd);
    twofa::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "HOME") {
            return std::string("/nonexistent-home");
        }
        return std::nullopt;
    };
    auto config = twofa::resolve_config({}, path, env);
    if (config.ok()) {
        (void)twofa::load_api_key(*config);
        (void)twofa::check_provider_url(*config, "authy.url");
    }
    return 0;
}
