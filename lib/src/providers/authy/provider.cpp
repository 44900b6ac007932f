// Authy as a SecondFactor: the port's neutral calls mapped onto Authy's API and its quirks
// (an SMS "ignored" for app users, numeric user ids).
#include <twofa/authy/provider.hpp>
#include <twofa/validate.hpp>

#include <charconv>

namespace twofa::authy {

const ProviderInfo& provider_info() {
    static const ProviderInfo info{
        "authy", "Authy",           "authy_id",
        true,    "/authy/callback", {Channel::push, Channel::sms, Channel::call, Channel::app_code},
        false};
    return info;
}

Result<std::unique_ptr<AuthyClient>> make_client(const Config& config) {
    TRY(check_provider_url(config, "authy.url"));
    TRY_ASSIGN(std::string key, load_api_key(config));
    TransportOptions t{config.connect_timeout_ms, config.http_timeout_ms};
    return std::make_unique<AuthyClient>(config.authy_url, key, make_curl_transport(t));
}

namespace {

// An Authy user id as stored: 1 to 18 digits.
Result<std::int64_t> user_id(const std::string& text) {
    std::int64_t id = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, id);
    if (text.empty() || text.size() > 18 || ec != std::errc() || ptr != end || id <= 0) {
        return make_error(Exit::store, "the stored Authy user id is not a number",
                          "re-enroll the user");
    }
    return id;
}

class AuthyProvider final : public SecondFactor {
  public:
    explicit AuthyProvider(std::unique_ptr<AuthyClient> client) : m_client(std::move(client)) {}

    const ProviderInfo& info() const override { return provider_info(); }

    Result<Enrollment> enroll(const EnrollRequest& r) override {
        return m_client->create_user({r.email, r.phone, r.country_code, r.send_install_link})
            .transform([](std::int64_t id) {
                return Enrollment{std::to_string(id), {}, {}};
            });
    }

    Result<bool> remove(const std::string& user) override {
        TRY_ASSIGN(std::int64_t id, user_id(user));
        return m_client->delete_user(id);
    }

    Result<DeviceInfo> devices(const std::string& user) override {
        TRY_ASSIGN(std::int64_t id, user_id(user));
        return m_client->user_status(id).transform([](UserStatus s) {
            return DeviceInfo{s.registered, s.confirmed, s.account_disabled,
                              std::move(s.phone_number), std::move(s.devices)};
        });
    }

    Result<Challenge> start(const Recipient& to, Channel channel,
                            const PushRequest& push) override {
        TRY_ASSIGN(std::int64_t id, user_id(to.user));
        if (channel == Channel::app_code) {
            return Challenge{channel, ""};
        }
        if (channel == Channel::email) {
            return make_error(Exit::usage, "Authy sends no codes by email", "choose sms or call");
        }
        if (channel == Channel::push) {
            ApprovalRequest req{push.message, push.details, push.hidden_details,
                                push.seconds_to_expire};
            TRY_ASSIGN(std::string uuid, m_client->create_approval_request(id, req));
            return Challenge{channel, std::move(uuid)};
        }
        TRY_ASSIGN(CodeSent sent, m_client->request_code(id, channel == Channel::call));
        if (sent.ignored) {
            return make_error(Exit::rejected,
                              "Authy did not send the code (it says the user has the app)",
                              "type the code from the Authy app instead");
        }
        return Challenge{channel, ""};
    }

    Result<CodeVerdict> check(const Recipient& to, const Challenge& /*challenge*/,
                              const std::string& code) override {
        TRY_ASSIGN(std::int64_t id, user_id(to.user));
        return m_client->verify_code(id, code).transform([](TokenVerdict v) {
            return v == TokenVerdict::valid    ? CodeVerdict::valid
                   : v == TokenVerdict::reused ? CodeVerdict::reused
                                               : CodeVerdict::invalid;
        });
    }

    Result<PushState> poll(const Challenge& challenge) override {
        TRY_ASSIGN(std::string state, m_client->approval_status(challenge.handle));
        return state == "approved"  ? PushState::approved
               : state == "denied"  ? PushState::denied
               : state == "expired" ? PushState::expired
                                    : PushState::pending;
    }

    Status health() override { return m_client->check_key(); }

  private:
    std::unique_ptr<AuthyClient> m_client;
};

} // namespace

std::unique_ptr<SecondFactor> make_provider(std::unique_ptr<AuthyClient> client) {
    return std::make_unique<AuthyProvider>(std::move(client));
}

} // namespace twofa::authy
