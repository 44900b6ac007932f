#pragma once
// The provider registry: one entry per adapter. Adding a provider = its folder under
// lib/src/providers/ plus one line in registry.cpp.
#include <twofa/config.hpp>
#include <twofa/provider.hpp>
#include <twofa/store.hpp>

#include <functional>

#include <memory>
#include <string_view>

namespace twofa::providers {

struct Entry {
    const ProviderInfo& (*info)();
    // store: the store, opened on first use (the providers that keep state there).
    Result<std::unique_ptr<SecondFactor>> (*make)(const Config& config,
                                                  const std::function<Result<Store*>()>& store);
    Result<std::unique_ptr<CallbackVerifier>> (*verifier)(const Config& config,
                                                          CallbackSettings settings);
};

// The entry for a provider name; Exit::config when there is none.
Result<const Entry*> find(std::string_view name);

// "authy" (for hints): every registered name, separated by ", ".
std::string names();

} // namespace twofa::providers
