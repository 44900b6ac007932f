#pragma once
// The second-factor port: everything the login core and the listener need from a provider.
// Authy is one adapter behind it (lib/src/providers/authy/); a new provider is its own folder
// plus one line in lib/src/providers/registry.cpp. Nothing here names a provider.
#include <twofa/http_server.hpp>
#include <twofa/result.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twofa {

// How a challenge reaches the user. The names are the product's ("onetouch" is a push).
enum class Channel { push, sms, call, app_code, email };
const char* to_string(Channel channel) noexcept; // "onetouch", "sms", "call", "token", "email"
std::optional<Channel> parse_channel(std::string_view name) noexcept; // inverse; nullopt if unknown

// recovery: not the code of the moment but one of the user's single-use recovery codes (now
// used up).
enum class CodeVerdict { valid, invalid, reused, recovery };
enum class PushState { pending, approved, denied, expired };
const char* to_string(PushState state) noexcept; // "pending", "approved", "denied", "expired"

// What the product says about its provider to users (the front ends print these).
struct ProviderInfo {
    std::string name;        // the configuration value: "authy"
    std::string display;     // "Authy"
    std::string user_id_key; // the provider's user id in --json output: "authy_id"
    bool numeric_user_id = false;
    std::string callback_path; // the default path of the push callback URL
    // How it reaches a user, in the order `--via auto` prefers (a push only when the user
    // has the app).
    std::vector<Channel> channels;
    // Enrollment hands out a secret the user must see once (no bulk import).
    bool shows_secret = false;

    bool offers(Channel channel) const;
};

struct EnrollRequest {
    std::string email;
    int country_code = 1;
    std::string phone; // digits
    bool send_install_link = false;
};

// Whom a challenge is for: the provider's user id and the contact details twofa keeps (a
// provider with no user records, such as Verify, sends codes to the phone itself).
struct Recipient {
    std::string user; // the provider's user id
    int country_code = 0;
    std::string phone; // digits
    std::string email;
};

// The push as the user sees it on the phone.
struct PushRequest {
    std::string message;
    std::vector<std::pair<std::string, std::string>> details;        // shown to the user
    std::vector<std::pair<std::string, std::string>> hidden_details; // kept with the request
    int seconds_to_expire = 120;
};

// What an enrollment hands out once, when the factor is an app secret (TOTP): shown to the
// user, never stored in the clear, never logged.
struct AppSecret {
    std::string uri;    // the otpauth:// key URI (for a QR code)
    std::string secret; // Base32, for typing into the app
    std::vector<std::string> recovery_codes;
};

struct Enrollment {
    std::string user;                // the provider's user id (opaque, stable)
    std::optional<AppSecret> secret; // set: the factor waits for a first code (confirm)
    std::vector<std::string> notes;  // what an import kept, changed or ignored
};

// A started challenge: its channel and the provider's handle for it (a push request's id;
// empty when the provider keeps none, as for Authy's codes).
struct Challenge {
    Channel channel = Channel::sms;
    std::string handle;
};

// The user's devices as the provider reports them.
struct DeviceInfo {
    bool has_app = false; // an authenticator app able to take pushes and show codes
    bool confirmed = false;
    bool disabled = false;
    std::string phone; // as the provider masks it
    std::vector<std::string> devices;
    int recovery_codes_left = -1; // -1: the provider has none
};

class SecondFactor {
  public:
    virtual ~SecondFactor() = default;
    virtual const ProviderInfo& info() const = 0;

    // Registers the user: the provider's user id, and the secret to show once if any.
    virtual Result<Enrollment> enroll(const EnrollRequest& request) = 0;
    // Removes the user at the provider; false when the provider did not know it.
    virtual Result<bool> remove(const std::string& user) = 0;
    virtual Result<DeviceInfo> devices(const std::string& user) = 0;
    // Starts a challenge: sends a code (sms, call), creates a push, or does nothing (app_code:
    // the user reads the code from the app). Never retried once it may have reached the
    // provider (a retry could send twice).
    virtual Result<Challenge> start(const Recipient& to, Channel channel,
                                    const PushRequest& push) = 0;
    // Checks a code (already validated) for a challenge. Never retried once sent.
    virtual Result<CodeVerdict> check(const Recipient& to, const Challenge& challenge,
                                      const std::string& code) = 0;
    // A push's state at the provider (for logins that get no callback).
    virtual Result<PushState> poll(const Challenge& challenge) = 0;
    // The provider is reachable and accepts the credentials.
    virtual Status health() = 0;

    // Factors that are an app secret (offline TOTP). The defaults answer Exit::usage: this
    // provider has none.
    // Activates a new (or reset) factor with a first code from the app.
    virtual Result<CodeVerdict> confirm(const std::string& user, const std::string& code);
    // A new secret and recovery codes; the factor waits for a first code again.
    virtual Result<AppSecret> reset(const std::string& user, const std::string& email);
    // New recovery codes (the old ones stop working).
    virtual Result<std::vector<std::string>> new_recovery_codes(const std::string& user);
    // The secret again (its recovery codes are not: they are kept only as hashes).
    virtual Result<AppSecret> reveal(const std::string& user, const std::string& email);
    // Takes over a factor another tool set up (for TOTP, a ~/.google_authenticator file), so
    // the user keeps the app's entry; it counts at once.
    virtual Result<Enrollment> adopt(const EnrollRequest& request, const std::string& file);
    // Seals every secret under a new key; how many were sealed again.
    virtual Result<int> rotate_key();
};

// Makes the provider a user is enrolled with (by ProviderInfo::name), on first use.
using ProviderGetter = std::function<Result<SecondFactor*>(std::string_view name)>;

// A push result as a verified callback states it.
struct PushResult {
    std::string provider; // ProviderInfo::name of the provider that sent it
    std::string user;     // the provider's user id
    std::string handle;   // the challenge it answers
    PushState state = PushState::denied;
    bool test = false; // a provider's test delivery: nothing to look up
    // What the provider said, for the log (never a secret).
    std::string describe() const;
};

// Why a callback was refused, as the listener answers it.
struct CallbackRefusal {
    int status = 400;
    const char* outcome = "malformed"; // the log's outcome word
    const char* body = R"({"error":"malformed"})";
    std::string detail; // for the log
};

// Either the verified result or the refusal.
struct CallbackVerdict {
    std::optional<PushResult> result;
    CallbackRefusal refusal;
};

// Turns a request to the callback path into a push result: its cheap checks first (headers,
// freshness, size and shape), then the signature, then the decoding. Pure and thread-safe.
class CallbackVerifier {
  public:
    virtual ~CallbackVerifier() = default;
    // public_url: the URL the provider signs (scheme, host, port and path).
    virtual CallbackVerdict verify(const IncomingRequest& request,
                                   std::string_view public_url) const = 0;
};

// What a verifier needs besides the provider's credentials.
struct CallbackSettings {
    int freshness_window = 300;    // seconds a request's timestamp may differ from now
    std::function<double()> clock; // unix seconds; default: the system clock
};

} // namespace twofa
