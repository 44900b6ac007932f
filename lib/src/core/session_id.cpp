// Session ids and the current-session file.
#include <twofa/login.hpp>
#include <twofa/util.hpp>

#include "util/fs_util.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace twofa {

namespace {
constexpr std::size_t k_id_bytes = 24; // 192 bits
constexpr std::size_t k_id_chars = 32; // base64url without padding
} // namespace

std::string new_session_id() {
    if (sodium_init() < 0) {
        throw Failure(
            make_error(Exit::internal, "libsodium cannot start", "please report this bug"));
    }
    std::array<unsigned char, k_id_bytes> raw{};
    randombytes_buf(raw.data(), raw.size());
    std::array<char, k_id_chars + 1> text{};
    sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw.data(), raw.size());
    return std::string(text.data(), k_id_chars);
}

std::string hash_session_id(const std::string& id) {
    return sha256_hex(id);
}

Status validate_session_id(const std::string& id) {
    bool shape = id.size() == k_id_chars && std::all_of(id.begin(), id.end(), [](char c) {
                     return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
                 });
    if (!shape) {
        return make_error(Exit::usage, "that is not a login session id",
                          "use the \"session\" printed by twofa login --no-wait");
    }
    return {};
}

namespace {
std::string session_file(const std::string& state_dir) {
    return state_dir + "/session";
}
} // namespace

Status check_state_dir(const std::string& state_dir) {
    if (state_dir.empty()) { // never "/session": there is no HOME to keep it in
        return make_error(
            Exit::config,
            "no place for the current-session file: HOME and XDG_STATE_HOME are unset",
            "set HOME or XDG_STATE_HOME");
    }
    return {};
}

Status save_current_session(const std::string& state_dir, const std::string& id) {
    if (auto r = check_state_dir(state_dir); !r.ok()) {
        return r;
    }
    if (auto r = detail::make_private_dir(state_dir); !r.ok()) {
        return r;
    }
    return detail::write_private_file(session_file(state_dir), id + "\n");
}

Result<std::optional<std::string>> load_current_session(const std::string& state_dir) {
    if (state_dir.empty()) {
        return std::optional<std::string>();
    }
    const std::string path = session_file(state_dir);
    if (::access(path.c_str(), F_OK) != 0) {
        return std::optional<std::string>();
    }
    auto text = detail::read_private_file(path);
    if (!text.ok()) {
        return text.error();
    }
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) {
        id.pop_back();
    }
    if (auto r = validate_session_id(id); !r.ok()) {
        return make_error(Exit::usage, "the current-session file " + path + " is damaged",
                          "remove it and log in again");
    }
    return std::optional<std::string>(id);
}

Status clear_current_session(const std::string& state_dir) {
    if (state_dir.empty()) {
        return {};
    }
    const std::string path = session_file(state_dir);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return make_error(Exit::config, "cannot remove " + path + ": " + std::strerror(errno),
                          "check the permissions of " + state_dir);
    }
    return {};
}

} // namespace twofa
