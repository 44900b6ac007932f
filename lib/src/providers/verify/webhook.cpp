// Verify Push webhooks as push results: the signature header and the encoding first, then
// the form decoded once, the signature over those pairs (the URL as configured, with and
// without its port), then the fields read from the same pairs.
#include <twofa/util.hpp>
#include <twofa/verify/provider.hpp>
#include <twofa/verify/wire.hpp>

#include <twofa/authy/signature.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <optional>

namespace twofa::verify {

namespace {

// Real webhooks carry about fifteen parameters.
constexpr std::size_t k_max_params = 64;

CallbackVerdict refuse(int status, const char* outcome, const char* body, std::string detail = {}) {
    return {std::nullopt, CallbackRefusal{status, outcome, body, std::move(detail)}};
}

// The media type without parameters, lower case.
std::string media_type(std::string_view type) {
    std::string out;
    for (char c : type.substr(0, type.find(';'))) {
        if (c != ' ' && c != '\t') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

// A JSON webhook's top-level string members as parameters (nothing nested: bounded work).
std::optional<Form> json_fields(const std::string& body) {
    if (authy::json_depth(body) > 2) {
        return std::nullopt;
    }
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.size() > k_max_params) {
        return std::nullopt;
    }
    Form out;
    for (const auto& [k, v] : j.items()) {
        if (v.is_string()) {
            out.emplace_back(k, v.get<std::string>());
        }
    }
    return out;
}

bool valid_for_any(const std::string& token, const std::string& url, const Form& params,
                   std::string_view signature) {
    bool ok = false;
    for (const std::string& variant : signed_url_variants(url)) {
        // Every variant is computed: the time does not tell which one matched.
        ok = equal_constant_time(twilio_signature(token, variant, params), signature) || ok;
    }
    return ok;
}

class WebhookVerifier final : public CallbackVerifier {
  public:
    WebhookVerifier(std::string token, std::string service)
        : m_token(std::move(token)), m_service(std::move(service)) {}

    CallbackVerdict verify(const IncomingRequest& req, std::string_view url_view) const override {
        std::string_view signature = req.header("x-twilio-signature");
        if (signature.empty() || signature.size() > 64) {
            return refuse(401, "missing-signature", R"({"error":"missing signature"})");
        }
        std::string url(url_view);
        if (req.method == "POST" && media_type(req.header("content-type")) == "application/json") {
            return verify_json(req, url + "?" + req.query, signature);
        }
        Form params;
        if (req.method == "POST") {
            if (media_type(req.header("content-type")) != "application/x-www-form-urlencoded") {
                return refuse(415, "wrong-content-type",
                              R"({"error":"send application/x-www-form-urlencoded"})");
            }
            params = form_decode(req.body);
        } else if (!req.body.empty()) {
            return refuse(400, "malformed", R"({"error":"a GET webhook has no body"})");
        } else {
            params = form_decode(req.query);
        }
        if (params.size() > k_max_params) {
            return refuse(400, "malformed", R"({"error":"too many parameters"})");
        }
        // The signed URL is the one requested, query included; a GET's parameters are in it.
        if (!req.query.empty()) {
            url += "?" + req.query;
        }
        if (!valid_for_any(m_token, url, req.method == "POST" ? params : Form{}, signature)) {
            return refuse(401, "bad-signature", R"({"error":"invalid signature"})");
        }
        return decided(params);
    }

  private:
    // The JSON form: the URL carries bodySHA256 and the signature covers the URL alone.
    CallbackVerdict verify_json(const IncomingRequest& req, const std::string& url,
                                std::string_view signature) const {
        Form query = form_decode(req.query);
        if (query.size() != 1 || query[0].first != "bodySHA256" ||
            !equal_constant_time(query[0].second, sha256_hex(req.body))) {
            return refuse(401, "bad-signature", R"({"error":"invalid body hash"})");
        }
        if (!valid_for_any(m_token, url, {}, signature)) {
            return refuse(401, "bad-signature", R"({"error":"invalid signature"})");
        }
        auto fields = json_fields(req.body);
        if (!fields) {
            return refuse(400, "malformed", R"({"error":"not a flat JSON object"})");
        }
        return decided(*fields);
    }

    // The verified parameters as a result (or a refusal).
    CallbackVerdict decided(const Form& params) const {
        auto w = decode_webhook(params);
        if (!w.ok()) {
            return refuse(400, "malformed", R"({"error":"not a Verify webhook"})",
                          w.error().message);
        }
        if (!w->service_sid.empty() && w->service_sid != m_service) {
            // Signed by this account for another service: nothing of ours; no retries.
            return refuse(200, "other-service", R"({"status":"ignored"})", w->service_sid);
        }
        PushResult r{provider_info().name, w->entity_identity,
                     challenge_handle(w->entity_identity, w->challenge_sid), PushState::denied,
                     w->type.rfind("challenge.", 0) != 0};
        if (w->type == "challenge.approved") {
            r.state = PushState::approved;
        } else if (w->type == "challenge.denied") {
            r.state = PushState::denied;
        } else if (!r.test) {
            return refuse(400, "malformed", R"({"error":"unknown challenge event"})", w->type);
        }
        return {std::move(r), {}};
    }

    std::string m_token;
    std::string m_service;
};

} // namespace

std::unique_ptr<CallbackVerifier> make_webhook_verifier(std::string auth_token,
                                                        std::string service_sid) {
    return std::make_unique<WebhookVerifier>(std::move(auth_token), std::move(service_sid));
}

} // namespace twofa::verify
