#pragma once
// The provider registry: one entry per adapter. Adding a provider = its folder under
// lib/src/providers/ plus one line in registry.cpp.
#include <twofa/config.hpp>
#include <twofa/provider.hpp>
#include <twofa/store.hpp>

#include <functional>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace twofa::providers {

struct Entry {
    const ProviderInfo& (*info)();
    // store: the store, opened on first use (the providers that keep state there).
    Result<std::unique_ptr<SecondFactor>> (*make)(const Config& config,
                                                  const std::function<Result<Store*>()>& store);
    Result<std::unique_ptr<CallbackVerifier>> (*verifier)(const Config& config,
                                                          CallbackSettings settings);
    // The header (lower case) that marks a request as this provider's callback; nullptr for
    // providers that send none.
    const char* signature_header;
};

// The entry for a provider name; Exit::config when there is none.
Result<const Entry*> find(std::string_view name);

// The listener's verifier: each request goes to the provider whose signature header it
// carries. The configured provider's credentials must load; the other providers with
// callbacks are served when theirs do (a mixed installation).
Result<std::unique_ptr<CallbackVerifier>> listener_verifier(const Config& config,
                                                            const CallbackSettings& settings);

// Every registered name.
std::vector<std::string> all_names();

// "authy" (for hints): every registered name, separated by ", ".
std::string names();

} // namespace twofa::providers
