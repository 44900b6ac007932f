// Verify as a SecondFactor: the port's neutral calls mapped onto Verify v2. Verify keeps no
// user records for codes: twofa gives each user an Entity (an opaque identity) for its factors
// and sends codes to the phone it keeps.
#include <twofa/util.hpp>
#include <twofa/verify/provider.hpp>

#include <sodium.h>

#include <array>
#include <chrono>
#include <optional>

namespace twofa::verify {

const ProviderInfo& provider_info() {
    static const ProviderInfo info{
        "verify",
        "Twilio Verify",
        "verify_identity",
        false,
        "/verify/webhook",
        {Channel::push, Channel::sms, Channel::call, Channel::app_code, Channel::email},
        false};
    return info;
}

std::string challenge_handle(const std::string& identity, const std::string& challenge_sid) {
    return identity + "/" + challenge_sid;
}

namespace {

// Where a code goes: the E.164 number, or the email address for email codes.
std::string address(const Recipient& to, Channel channel) {
    return channel == Channel::email ? to.email : "+" + std::to_string(to.country_code) + to.phone;
}

Status check_identity(const std::string& identity) {
    if (!is_identity(identity)) {
        return make_error(Exit::store, "the stored Verify identity is malformed",
                          "re-enroll the user");
    }
    return {};
}

// A new identity: 32 random hex digits (stable once stored; not derived from the email).
std::string new_identity() {
    std::array<unsigned char, 16> raw{};
    randombytes_buf(raw.data(), raw.size());
    return to_hex(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

PushState push_state(const std::string& status) {
    return status == "approved"  ? PushState::approved
           : status == "denied"  ? PushState::denied
           : status == "expired" ? PushState::expired
                                 : PushState::pending;
}

class VerifyProvider final : public SecondFactor {
  public:
    VerifyProvider(std::unique_ptr<VerifyClient> client, TotpSettings totp)
        : m_client(std::move(client)), m_totp(std::move(totp)) {}

    const ProviderInfo& info() const override { return provider_info(); }

    Result<Enrollment> enroll(const EnrollRequest&) override {
        std::string identity = new_identity();
        TRY(m_client->create_entity(identity));
        return Enrollment{identity, {}, {}};
    }

    Result<bool> remove(const std::string& user) override {
        TRY(check_identity(user));
        forget_factors();
        return m_client->delete_entity(user);
    }

    Result<DeviceInfo> devices(const std::string& user) override {
        TRY(check_identity(user));
        TRY_ASSIGN(auto factors, listed_factors(user));
        DeviceInfo d;
        for (const Factor& f : factors) {
            bool verified = f.status == "verified";
            d.has_app = d.has_app || (verified && f.type == "push");
            d.confirmed = d.confirmed || verified;
            d.devices.push_back(f.type + (verified ? "" : " (unverified)"));
        }
        return d;
    }

    Result<Challenge> start(const Recipient& to, Channel channel,
                            const PushRequest& push) override {
        TRY(check_identity(to.user));
        if (channel == Channel::app_code) {
            TRY(verified_factor(to.user, "totp"));
            return Challenge{channel, ""};
        }
        if (channel == Channel::push) {
            TRY_ASSIGN(std::string factor, verified_factor(to.user, "push"));
            VerifyPush p{push.message, push.details, push.hidden_details,
                         unix_now() + push.seconds_to_expire};
            TRY_ASSIGN(ChallengeState c, m_client->push_challenge(to.user, factor, p));
            return Challenge{channel, challenge_handle(to.user, c.sid)};
        }
        TRY_ASSIGN(VerificationState v,
                   m_client->start_verification(address(to, channel), to_string(channel)));
        return Challenge{channel, v.sid};
    }

    Result<CodeVerdict> check(const Recipient& to, const Challenge& challenge,
                              const std::string& code) override {
        TRY(check_identity(to.user));
        if (challenge.channel == Channel::app_code) {
            TRY_ASSIGN(std::string factor, verified_factor(to.user, "totp"));
            return m_client->totp_challenge(to.user, factor, code)
                .transform([](const ChallengeState& c) {
                    return c.status == "approved" ? CodeVerdict::valid : CodeVerdict::invalid;
                });
        }
        TRY_ASSIGN(VerificationState v,
                   m_client->check_verification(address(to, challenge.channel), code));
        if (v.status == "approved") {
            return CodeVerdict::valid;
        }
        if (v.status == "pending") {
            return CodeVerdict::invalid;
        }
        return make_error(v.status == "max_attempts_reached" ? Exit::locked : Exit::expired,
                          "Verify says the verification is " + v.status, "start a new login");
    }

    Result<PushState> poll(const Challenge& challenge) override {
        auto slash = challenge.handle.find('/');
        if (slash == std::string::npos) {
            return make_error(Exit::store, "the stored Verify challenge is malformed",
                              "start a new login");
        }
        std::string identity = challenge.handle.substr(0, slash);
        TRY(check_identity(identity));
        return m_client->challenge(identity, challenge.handle.substr(slash + 1))
            .transform([](const ChallengeState& c) { return push_state(c.status); });
    }

    Status health() override { return m_client->check_service(); }

    Result<CodeVerdict> confirm(const std::string& user, const std::string& code) override {
        TRY(check_identity(user));
        TRY_ASSIGN(auto factors, listed_factors(user));
        for (const Factor& f : factors) {
            if (f.type == "totp" && f.status == "unverified") {
                forget_factors();
                TRY_ASSIGN(Factor after, m_client->verify_factor(user, f.sid, code));
                return after.status == "verified" ? CodeVerdict::valid : CodeVerdict::invalid;
            }
        }
        return make_error(Exit::not_found, "no authenticator app waits for confirmation",
                          "add one with twofa user totp reset EMAIL");
    }

    // The new factor is made first and the old ones deleted after, so a failure on the way
    // leaves the user the factor they had.
    Result<AppSecret> reset(const std::string& user, const std::string& email) override {
        TRY(check_identity(user));
        TRY_ASSIGN(auto before, m_client->factors(user));
        forget_factors();
        TotpSettings s = m_totp;
        s.friendly_name = email;
        TRY_ASSIGN(Factor made, m_client->create_totp_factor(user, s));
        if (made.secret.empty() || made.uri.rfind("otpauth://totp/", 0) != 0) {
            return make_error(Exit::unavailable, "Verify made a TOTP factor without its binding",
                              "check verify.url points at Twilio Verify");
        }
        for (const Factor& f : before) {
            if (f.type == "totp") {
                TRY(m_client->delete_factor(user, f.sid));
            }
        }
        return AppSecret{made.uri, made.secret, {}};
    }

    Result<AppSecret> reveal(const std::string&, const std::string&) override {
        return make_error(Exit::usage, "Verify shows a TOTP secret only when the factor is made",
                          "make a new one with twofa user totp reset EMAIL");
    }

  private:
    // The SID of the user's verified factor of that type.
    Result<std::string> verified_factor(const std::string& identity, const std::string& type) {
        TRY_ASSIGN(auto factors, listed_factors(identity));
        for (const Factor& f : factors) {
            if (f.type == type && f.status == "verified") {
                return f.sid;
            }
        }
        return type == "push"
                   ? make_error(Exit::rejected, "the user has no Verify Push device",
                                "use --via sms or --via call")
                   : make_error(Exit::rejected, "the user has no confirmed authenticator app",
                                "add one with twofa user totp reset EMAIL, then confirm it");
    }

    // The identity's factors as listed moments ago: an automatic login asks which devices
    // the user has, then starts the push on the verified push factor, and both read the same
    // list (it was fetched twice, a round trip to Twilio each). Forgotten after
    // k_factors_fresh and by every call that changes factors. (A provider, like its client,
    // is used from one thread: import's workers each make their own.)
    Result<std::vector<Factor>> listed_factors(const std::string& identity) {
        const auto now = std::chrono::steady_clock::now();
        if (m_listed && m_listed->identity == identity && now < m_listed->until) {
            return m_listed->factors;
        }
        TRY_ASSIGN(auto factors, m_client->factors(identity));
        m_listed = Listed{identity, factors, now + k_factors_fresh};
        return factors;
    }

    void forget_factors() { m_listed.reset(); }

    static constexpr std::chrono::seconds k_factors_fresh{10};
    struct Listed {
        std::string identity;
        std::vector<Factor> factors;
        std::chrono::steady_clock::time_point until;
    };

    std::unique_ptr<VerifyClient> m_client;
    TotpSettings m_totp;
    std::optional<Listed> m_listed;
};

} // namespace

std::unique_ptr<SecondFactor> make_provider(std::unique_ptr<VerifyClient> client,
                                            TotpSettings totp) {
    return std::make_unique<VerifyProvider>(std::move(client), std::move(totp));
}

} // namespace twofa::verify
