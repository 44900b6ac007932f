// The port's small shared pieces: channel and push-state names, the log line of a result.
#include <twofa/provider.hpp>

#include <array>

namespace twofa {

namespace {
constexpr std::array<const char*, 5> k_channels{"onetouch", "sms", "call", "token", "email"};
} // namespace

const char* to_string(Channel channel) noexcept {
    return k_channels[static_cast<std::size_t>(channel)];
}

std::optional<Channel> parse_channel(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_channels.size(); ++i) {
        if (name == k_channels[i]) {
            return static_cast<Channel>(i);
        }
    }
    return std::nullopt;
}

const char* to_string(PushState state) noexcept {
    switch (state) {
    case PushState::pending:
        return "pending";
    case PushState::approved:
        return "approved";
    case PushState::denied:
        return "denied";
    case PushState::expired:
        return "expired";
    }
    return "pending";
}

bool ProviderInfo::offers(Channel channel) const {
    for (Channel c : channels) {
        if (c == channel) {
            return true;
        }
    }
    return false;
}

namespace {
Error no_app_secret(const SecondFactor& p, const char* what) {
    return make_error(Exit::usage, p.info().display + " users have no app secret to " + what,
                      "this works for users of the totp provider");
}
} // namespace

Result<CodeVerdict> SecondFactor::confirm(const std::string&, const std::string&) {
    return no_app_secret(*this, "confirm");
}
Result<AppSecret> SecondFactor::reset(const std::string&, const std::string&) {
    return no_app_secret(*this, "reset");
}
Result<std::vector<std::string>> SecondFactor::new_recovery_codes(const std::string&) {
    return no_app_secret(*this, "back with recovery codes");
}
Result<AppSecret> SecondFactor::reveal(const std::string&, const std::string&) {
    return no_app_secret(*this, "show");
}
Result<Enrollment> SecondFactor::adopt(const EnrollRequest&, const std::string&) {
    return no_app_secret(*this, "import");
}
Result<int> SecondFactor::rotate_key() {
    return no_app_secret(*this, "seal again");
}

std::string PushResult::describe() const {
    return std::string(to_string(state)) + " challenge=" + handle + " user=" + user +
           (test ? " (test)" : "");
}

} // namespace twofa
