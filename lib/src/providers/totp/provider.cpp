// The offline TOTP provider: enrollment makes a 160-bit secret, sealed under the key file and
// kept in the store with its parameters; a code is checked locally against the time steps of
// the window, and each step is accepted at most once per user (one UPDATE in the store).
#include <twofa/otp.hpp>
#include <twofa/totp/provider.hpp>
#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include "providers/totp/keys.hpp"

#include <sodium.h>

#include <cstdio>

namespace twofa::totp_adapter {

const ProviderInfo& provider_info() {
    static const ProviderInfo info{"totp", "TOTP", "totp_id", false, "", {Channel::app_code}, true};
    return info;
}

namespace {

constexpr int k_recovery_codes = 10;
constexpr std::size_t k_secret_bytes = 20; // 160 bits (RFC 4226's recommendation)

std::string random_digits(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += static_cast<char>('0' + randombytes_uniform(10));
    }
    return out;
}

class TotpProvider final : public SecondFactor {
  public:
    TotpProvider(Config config, StoreGetter store, Clock clock)
        : m_config(std::move(config)), m_store(std::move(store)), m_clock(std::move(clock)) {}

    const ProviderInfo& info() const override { return provider_info(); }

    Result<Enrollment> enroll(const EnrollRequest& r) override {
        std::string user = to_hex(random_bytes(12));
        TRY_ASSIGN(AppSecret shown, new_factor(user, r.email));
        return Enrollment{user, std::move(shown), {}};
    }

    Result<bool> remove(const std::string& user) override {
        TRY_ASSIGN(Store * store, m_store());
        TRY_ASSIGN(auto found, store->find_app_factor(user));
        TRY(store->delete_app_factor(user));
        return found.has_value();
    }

    Result<DeviceInfo> devices(const std::string& user) override {
        TRY_ASSIGN(AppFactor f, factor(user));
        TRY_ASSIGN(Store * store, m_store());
        DeviceInfo d;
        d.has_app = true;
        d.confirmed = f.confirmed;
        d.devices = {"authenticator app (TOTP, " + f.algorithm + ", " + std::to_string(f.digits) +
                     " digits, " + std::to_string(f.period) + " s" +
                     (f.confirmed ? "" : ", not confirmed") + ")"};
        TRY_ASSIGN(d.recovery_codes_left, store->recovery_codes_left(user));
        return d;
    }

    Result<Challenge> start(const Recipient& to, Channel channel, const PushRequest&) override {
        if (channel != Channel::app_code) {
            return make_error(Exit::usage, "TOTP users log in with the code from their app",
                              "use --via token (or auto)");
        }
        TRY_ASSIGN(AppFactor f, factor(to.user));
        if (!f.confirmed) {
            return make_error(Exit::rejected, "the authenticator app is not confirmed yet",
                              "an administrator runs: twofa user totp confirm EMAIL, with a "
                              "code from the app");
        }
        return Challenge{Channel::app_code, ""};
    }

    Result<CodeVerdict> check(const Recipient& to, const Challenge&,
                              const std::string& code) override {
        const std::string& user = to.user;
        TRY_ASSIGN(AppFactor f, factor(user));
        if (!f.confirmed) {
            return make_error(Exit::rejected, "the authenticator app is not confirmed yet",
                              "confirm it with: twofa user totp confirm EMAIL");
        }
        TRY_ASSIGN(std::string secret, open(f));
        TRY_ASSIGN(Store * store, m_store());
        TRY_ASSIGN(auto step, matching_step(f, secret, code));
        if (step) {
            TRY_ASSIGN(bool fresh, store->claim_app_step(user, *step));
            return fresh ? CodeVerdict::valid : CodeVerdict::reused;
        }
        TRY_ASSIGN(bool recovered,
                   store->use_recovery_code(user, recovery_hash(secret, code), m_clock()));
        return recovered ? CodeVerdict::recovery : CodeVerdict::invalid;
    }

    Result<PushState> poll(const Challenge&) override {
        return make_error(Exit::usage, "TOTP has no push to ask about", "enter the app's code");
    }

    Status health() override {
        TRY_ASSIGN(auto key, load_key(m_config.totp_key_file));
        (void)key; // no key yet is healthy: the first enrollment makes one
        return {};
    }

    Result<CodeVerdict> confirm(const std::string& user, const std::string& code) override {
        TRY_ASSIGN(AppFactor f, factor(user));
        if (f.confirmed) {
            return make_error(Exit::conflict, "the authenticator app is already confirmed",
                              "nothing to do; twofa user totp reset makes a new secret");
        }
        TRY_ASSIGN(std::string secret, open(f));
        TRY_ASSIGN(auto step, matching_step(f, secret, code));
        if (!step) {
            return CodeVerdict::invalid;
        }
        TRY_ASSIGN(Store * store, m_store());
        TRY(store->transaction([&]() -> Status {
            TRY_ASSIGN(auto fresh, store->find_app_factor(user));
            if (!fresh || fresh->confirmed || fresh->sealed != f.sealed) {
                return make_error(Exit::conflict, "the factor changed while it was being confirmed",
                                  "try again");
            }
            fresh->confirmed = true;
            fresh->last_step = *step;
            fresh->updated_at = m_clock();
            return store->put_app_factor(*fresh);
        }));
        return CodeVerdict::valid;
    }

    Result<AppSecret> reset(const std::string& user, const std::string& email) override {
        TRY(factor(user));
        return new_factor(user, email);
    }

    Result<std::vector<std::string>> new_recovery_codes(const std::string& user) override {
        TRY_ASSIGN(AppFactor f, factor(user));
        TRY_ASSIGN(std::string secret, open(f));
        std::vector<std::string> codes;
        std::vector<std::string> hashes;
        for (int i = 0; i < k_recovery_codes; ++i) {
            codes.push_back(random_digits(10));
            hashes.push_back(recovery_hash(secret, codes.back()));
        }
        TRY_ASSIGN(Store * store, m_store());
        TRY(store->set_recovery_codes(user, hashes));
        return codes;
    }

    Result<AppSecret> reveal(const std::string& user, const std::string& email) override {
        TRY_ASSIGN(AppFactor f, factor(user));
        TRY_ASSIGN(std::string secret, open(f));
        TRY_ASSIGN(std::string uri, uri_of(f, email, secret));
        return AppSecret{uri, base32_encode(secret), {}};
    }

    Result<Enrollment> adopt(const EnrollRequest&, const std::string& file) override {
        TRY_ASSIGN(ForeignFactor g, parse_google_authenticator(file));
        std::string user = to_hex(random_bytes(12));
        AppFactor f = base_factor(user);
        f.algorithm = "sha1";
        f.digits = 6;
        f.period = g.period;
        f.window = g.window;
        f.confirmed = true;
        f.last_step = g.last_step;
        TRY(store_factor(f, g.secret, g.scratch_codes));
        std::vector<std::string> notes = std::move(g.notes);
        notes.push_back(std::to_string(g.scratch_codes.size()) + " scratch codes kept");
        return Enrollment{user, std::nullopt, std::move(notes)};
    }

    Result<int> rotate_key() override;

  private:
    Result<AppFactor> factor(const std::string& user) {
        TRY_ASSIGN(Store * store, m_store());
        TRY_ASSIGN(auto f, store->find_app_factor(user));
        if (!f) {
            return make_error(Exit::not_found, "the user has no authenticator app enrolled",
                              "enroll it again with twofa user totp reset EMAIL");
        }
        return *f;
    }

    // The key that sealed f: the key file's, or the one a rotation was writing.
    Result<SealKey> key_for(const AppFactor& f) {
        TRY_ASSIGN(auto key, load_key(m_config.totp_key_file));
        if (key && key->id == f.key_id) {
            return *key;
        }
        TRY_ASSIGN(auto next, load_key(m_config.totp_key_file + ".new"));
        if (next && next->id == f.key_id) {
            return *next;
        }
        return make_error(Exit::config,
                          key ? "the TOTP key file is not the key that sealed this secret"
                              : "the TOTP key file " + strip_control(m_config.totp_key_file) +
                                    " is missing",
                          "restore it from a backup, or finish a rotation with twofa user "
                          "totp rotate-key");
    }

    Result<std::string> open(const AppFactor& f) {
        TRY_ASSIGN(SealKey key, key_for(f));
        return open_sealed(key, f.provider_user, f.sealed);
    }

    // The key to seal new secrets with, made on first use.
    Result<SealKey> current_key() {
        TRY_ASSIGN(auto key, load_key(m_config.totp_key_file));
        if (key) {
            return *key;
        }
        return create_key(m_config.totp_key_file, m_config.sources.count("totp.key_file") == 0U);
    }

    // The time step in the window whose code this is (every step is computed: no early exit).
    Result<std::optional<std::int64_t>> matching_step(const AppFactor& f, const std::string& secret,
                                                      const std::string& code) {
        auto hash = parse_otp_hash(f.algorithm);
        if (!hash) {
            return make_error(Exit::store, "a TOTP factor names an unknown algorithm",
                              "a newer twofa wrote it; upgrade");
        }
        std::optional<std::int64_t> found;
        if (code.size() != static_cast<std::size_t>(f.digits)) {
            return found;
        }
        std::int64_t now_step = m_clock() / f.period;
        for (std::int64_t s = now_step - f.window; s <= now_step + f.window; ++s) {
            std::string expected = hotp(secret, static_cast<std::uint64_t>(s), f.digits, *hash);
            if (equal_constant_time(expected, code) && !found) {
                found = s;
            }
        }
        return found;
    }

    AppFactor base_factor(const std::string& user) const {
        AppFactor f;
        f.provider_user = user;
        f.algorithm = m_config.totp_algorithm;
        f.digits = m_config.totp_digits;
        f.period = m_config.totp_period;
        f.window = m_config.totp_window;
        f.created_at = m_clock();
        f.updated_at = f.created_at;
        return f;
    }

    Result<std::string> uri_of(const AppFactor& f, const std::string& email,
                               const std::string& secret) const {
        return key_uri({m_config.totp_issuer, email, secret,
                        parse_otp_hash(f.algorithm).value_or(OtpHash::sha1), f.digits, f.period});
    }

    // A new unconfirmed secret (and recovery codes) for the user, replacing any before.
    Result<AppSecret> new_factor(const std::string& user, const std::string& email) {
        std::string secret = random_bytes(k_secret_bytes);
        AppFactor f = base_factor(user);
        AppSecret shown;
        TRY_ASSIGN(shown.uri, uri_of(f, email, secret));
        shown.secret = base32_encode(secret);
        for (int i = 0; i < k_recovery_codes; ++i) {
            shown.recovery_codes.push_back(random_digits(10));
        }
        TRY(store_factor(f, secret, shown.recovery_codes));
        return shown;
    }

    Status store_factor(AppFactor& f, const std::string& secret,
                        const std::vector<std::string>& codes) {
        TRY_ASSIGN(SealKey key, current_key());
        f.key_id = key.id;
        f.sealed = seal(key, f.provider_user, secret);
        std::vector<std::string> hashes;
        hashes.reserve(codes.size());
        for (const auto& c : codes) {
            hashes.push_back(recovery_hash(secret, c));
        }
        TRY_ASSIGN(Store * store, m_store());
        return store->transaction([&]() -> Status {
            TRY(store->put_app_factor(f));
            return store->set_recovery_codes(f.provider_user, hashes);
        });
    }

    Config m_config;
    StoreGetter m_store;
    Clock m_clock;
};

Result<int> TotpProvider::rotate_key() {
    const std::string& path = m_config.totp_key_file;
    TRY_ASSIGN(auto old_key, load_key(path));
    if (!old_key) {
        return make_error(Exit::config, "there is no TOTP key file to rotate",
                          "the first TOTP enrollment creates " + strip_control(path));
    }
    // A rotation that was cut short left its new key behind: finish with that one.
    TRY_ASSIGN(auto pending, load_key(path + ".new"));
    SealKey next;
    if (pending) {
        next = *pending;
    } else {
        TRY_ASSIGN(next, create_key(path + ".new", false));
    }
    TRY_ASSIGN(Store * store, m_store());
    int count = 0;
    TRY(store->transaction([&]() -> Status {
        TRY_ASSIGN(auto all, store->list_app_factors());
        for (AppFactor& f : all) {
            if (f.key_id == next.id) {
                continue;
            }
            TRY_ASSIGN(std::string secret, open(f));
            f.sealed = seal(next, f.provider_user, secret);
            f.key_id = next.id;
            f.updated_at = m_clock();
            TRY(store->put_app_factor(f));
            ++count;
        }
        return {};
    }));
    if (std::rename((path + ".new").c_str(), path.c_str()) != 0) {
        return make_error(Exit::config, "cannot replace the TOTP key file " + strip_control(path),
                          "the secrets are sealed under " + strip_control(path) +
                              ".new; run rotate-key again");
    }
    return count;
}

} // namespace

std::unique_ptr<SecondFactor> make_provider(const Config& config, StoreGetter store, Clock clock) {
    return std::make_unique<TotpProvider>(config, std::move(store), std::move(clock));
}

} // namespace twofa::totp_adapter
