#include <twofa/error.hpp>

#include <array>

namespace twofa {

namespace {
struct Row {
    Exit code;
    const char* name;
};
constexpr std::array k_table{
    Row{Exit::ok, "OK"},
    Row{Exit::denied, "DENIED"},
    Row{Exit::usage, "USAGE"},
    Row{Exit::pending, "PENDING"},
    Row{Exit::expired, "EXPIRED"},
    Row{Exit::locked, "LOCKED"},
    Row{Exit::not_found, "NOT_FOUND"},
    Row{Exit::conflict, "CONFLICT"},
    Row{Exit::unavailable, "UNAVAILABLE"},
    Row{Exit::rejected, "REJECTED"},
    Row{Exit::config, "CONFIG"},
    Row{Exit::store, "STORE"},
    Row{Exit::internal, "INTERNAL"},
    Row{Exit::interrupted, "INTERRUPTED"},
};
constexpr auto k_codes = [] {
    std::array<Exit, k_table.size()> out{};
    for (std::size_t i = 0; i < k_table.size(); ++i) {
        out[i] = k_table[i].code;
    }
    return out;
}();
} // namespace

const char* exit_name(Exit code) noexcept {
    for (const auto& row : k_table) {
        if (row.code == code) {
            return row.name;
        }
    }
    return "INTERNAL";
}

const Exit* all_exits(std::size_t& count) noexcept {
    count = k_codes.size();
    return k_codes.data();
}

std::string Error::text() const {
    return hint.empty() ? message : message + " (" + hint + ")";
}

} // namespace twofa
