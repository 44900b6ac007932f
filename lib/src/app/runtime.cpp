// The composition root (see runtime.hpp).
#include <twofa/runtime.hpp>
#include <twofa/syslog.hpp>
#include <twofa/util.hpp>

#include "providers/registry.hpp"

namespace twofa {

Runtime::Runtime(Config config, bool may_create_store)
    : m_config(std::move(config)), m_may_create(may_create_store) {}

Runtime::~Runtime() = default;

Result<const ProviderInfo*> Runtime::provider_info() const {
    return provider_info(m_config.provider);
}

Result<const ProviderInfo*> Runtime::provider_info(std::string_view name) {
    TRY_ASSIGN(const providers::Entry* entry, providers::find(name));
    return &entry->info();
}

std::vector<std::string> Runtime::provider_names() {
    return providers::all_names();
}

Result<Store*> Runtime::store() {
    if (!m_store) {
        StoreOpen mode = !m_may_create          ? StoreOpen::existing
                         : m_config.db_explicit ? StoreOpen::create
                                                : StoreOpen::create_with_folders;
        TRY_ASSIGN(m_store, open_store(m_config.db_path, mode));
        m_store->set_audit_sink(syslog_sink(m_config, "twofa"));
    }
    return m_store.get();
}

Result<SecondFactor*> Runtime::provider() {
    return provider(m_config.provider);
}

Result<SecondFactor*> Runtime::provider(std::string_view name) {
    auto found = m_providers.find(name);
    if (found == m_providers.end()) {
        TRY_ASSIGN(const providers::Entry* entry, providers::find(name));
        TRY_ASSIGN(auto made, entry->make(m_config, [this] { return store(); }));
        found = m_providers.emplace(std::string(name), std::move(made)).first;
    }
    return found->second.get();
}

ProviderGetter Runtime::providers() {
    return [this](std::string_view name) { return provider(name); };
}

ProviderFactory Runtime::provider_factory() const {
    return [config = m_config]() -> Result<std::unique_ptr<SecondFactor>> {
        TRY_ASSIGN(const providers::Entry* entry, providers::find(config.provider));
        // Workers run concurrently: they get no store (providers that need one, whose
        // enrollment shows a secret, are not bulk-imported).
        return entry->make(config, []() -> Result<Store*> {
            return make_error(Exit::usage, "this provider's users are not imported in bulk",
                              "enroll them one by one with twofa user add");
        });
    };
}

Result<std::unique_ptr<CallbackVerifier>>
Runtime::callback_verifier(const CallbackSettings& settings) const {
    return providers::listener_verifier(m_config, settings);
}

LoginPolicy Runtime::login_policy() const {
    const Config& c = m_config;
    LoginPolicy policy;
    policy.pending_ttl = c.login_pending_ttl;
    policy.approved_ttl = c.login_approved_ttl;
    policy.throttle.resend_interval = c.resend_interval;
    policy.throttle.password_base_delay = c.password_backoff;
    policy.throttle.user_code_failures = c.user_code_failures;
    policy.throttle.user_lock_seconds = c.user_lock_seconds;
    // Three tries of the provider call, their back-off and a capped Retry-After (5 s).
    policy.check_lease = 3 * ((c.http_timeout_ms + 999) / 1000) + 6;
    policy.failmode_safe = c.failmode_safe;
    policy.push_message = c.onetouch_message;
    policy.push_seconds = c.onetouch_seconds_to_expire;
    return policy;
}

Result<Logins*> Runtime::logins() {
    if (!m_logins) {
        TRY_ASSIGN(Store * store, this->store());
        m_logins = std::make_unique<Logins>(*store, providers(), login_policy(), unix_now);
    }
    return m_logins.get();
}

} // namespace twofa
