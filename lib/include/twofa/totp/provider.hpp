#pragma once
// The offline TOTP adapter behind the second-factor port: secrets sealed in the store under a
// key file, codes checked locally, no vendor and no network. Front ends never include this;
// public for the registry and the tests.
#include <twofa/config.hpp>
#include <twofa/provider.hpp>
#include <twofa/store.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace twofa::totp_adapter {

// What the product says about TOTP (totp_id; codes from the app only).
const ProviderInfo& provider_info();

using StoreGetter = std::function<Result<Store*>()>;
using Clock = std::function<std::int64_t()>;

// The provider over the store (opened on first use) and the key file of the configuration.
std::unique_ptr<SecondFactor> make_provider(const Config& config, StoreGetter store, Clock clock);

// A ~/.google_authenticator file (google-authenticator-libpam), parsed.
struct ForeignFactor {
    std::string secret; // raw bytes
    int period = 30;
    int window = 1; // steps either side
    std::int64_t last_step = -1;
    std::vector<std::string> scratch_codes;
    std::vector<std::string> notes; // options kept, changed or ignored, for the report
};

// Exit::usage for a file that is not a TOTP google-authenticator file (HOTP counters are
// refused: twofa has no counter-based codes).
Result<ForeignFactor> parse_google_authenticator(const std::string& text);

} // namespace twofa::totp_adapter
