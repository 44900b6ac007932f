// Authy's OneTouch callbacks as push results: the signature headers and the nonce window
// first, then the body read once into its canonical form (and its top-level pairs), the
// signature over that, and the fields read from those pairs.
#include <twofa/authy/provider.hpp>
#include <twofa/authy/signature.hpp>
#include <twofa/authy/wire.hpp>
#include <twofa/util.hpp>

#include <cmath>
#include <cstdlib>

namespace twofa::authy {

namespace {

// Authy's dashboard "test callback" is sent for this user id; no session has it.
constexpr std::int64_t k_dashboard_test_id = 1234;

CallbackVerdict refuse(int status, const char* outcome, const char* body, std::string detail = {}) {
    return {std::nullopt, CallbackRefusal{status, outcome, body, std::move(detail)}};
}

// "application/json", perhaps with parameters ("; charset=utf-8"), any case.
bool is_json_type(std::string_view type) {
    std::string_view base = type.substr(0, type.find(';'));
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) {
        base.remove_suffix(1);
    }
    constexpr std::string_view k_json = "application/json";
    if (base.size() != k_json.size()) {
        return false;
    }
    for (std::size_t i = 0; i < base.size(); ++i) {
        char c = base[i];
        if (static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c) != k_json[i]) {
            return false;
        }
    }
    return true;
}

// A GET callback's query pairs: its canonical form, and all of them to read the fields from.
CanonicalCallback query_callback(Params pairs) {
    std::string canonical = canonical_flat_params(pairs);
    return {std::move(canonical), std::move(pairs)};
}

class AuthyCallbackVerifier final : public CallbackVerifier {
  public:
    AuthyCallbackVerifier(std::string key, CallbackSettings settings)
        : m_key(std::move(key)), m_settings(std::move(settings)) {
        if (!m_settings.clock) {
            m_settings.clock = unix_now_precise;
        }
    }

    CallbackVerdict verify(const IncomingRequest& req, std::string_view url) const override {
        std::string_view signature = req.header("x-authy-signature");
        std::string_view nonce = req.header("x-authy-signature-nonce");
        if (signature.empty() || nonce.empty()) {
            return refuse(401, "missing-signature", R"({"error":"missing signature"})");
        }
        if (!fresh(nonce)) {
            return refuse(401, "stale-nonce", R"({"error":"stale or malformed nonce"})");
        }
        const bool post = req.method == "POST";
        if (post && !is_json_type(req.header("content-type"))) {
            return refuse(415, "wrong-content-type", R"({"error":"send application/json"})");
        }
        if (!post && !req.body.empty()) {
            return refuse(400, "malformed", R"({"error":"a GET callback has no body"})");
        }
        Result<CanonicalCallback> read =
            post ? canonical_json_callback(req.body) : query_callback(form_decode(req.query));
        if (!read.ok()) {
            return refuse(400, "malformed", R"({"error":"not a JSON object callback"})",
                          read.error().message);
        }
        if (!signatures_equal(sign_callback(m_key, nonce, req.method, url, read->canonical),
                              signature)) {
            return refuse(401, "bad-signature", R"({"error":"invalid signature"})");
        }
        auto cb = decode_callback_params(read->top);
        if (!cb.ok()) {
            return refuse(400, "malformed", R"({"error":"not an approval request callback"})",
                          cb.error().message);
        }
        PushResult r{provider_info().name, std::to_string(cb->authy_id), std::move(cb->uuid),
                     cb->status == "approved" ? PushState::approved : PushState::denied,
                     cb->authy_id == k_dashboard_test_id};
        return {std::move(r), {}};
    }

  private:
    // The nonce is the sending time (unix seconds, fractional): within the window of now.
    bool fresh(std::string_view nonce) const {
        if (nonce.size() > 64) {
            return false;
        }
        std::string text(nonce);
        char* end = nullptr;
        double when = std::strtod(text.c_str(), &end);
        return end != text.c_str() && *end == '\0' && std::isfinite(when) &&
               std::fabs(when - m_settings.clock()) <= m_settings.freshness_window;
    }

    std::string m_key;
    CallbackSettings m_settings;
};

} // namespace

std::unique_ptr<CallbackVerifier> make_callback_verifier(std::string api_key,
                                                         CallbackSettings settings) {
    return std::make_unique<AuthyCallbackVerifier>(std::move(api_key), std::move(settings));
}

} // namespace twofa::authy
