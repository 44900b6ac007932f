#pragma once
// Helpers shared by the Authy wire files (wire.cpp, onetouch_wire.cpp) and the sandbox's
// Authy bodies.
#include <twofa/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace twofa::authy::detail {

// The first n code points of UTF-8 text (the official client cuts at 200 characters).
std::string cut(const std::string& s, std::size_t n);

// Pairs as a JSON object, keys cut to key_limit code points and values to 200.
nlohmann::json pairs_object(const std::vector<std::pair<std::string, std::string>>& pairs,
                            std::size_t key_limit);

// The body as a JSON object, or nullopt.
std::optional<nlohmann::json> parse_object(const std::string& body);
// A string or integer member as text; "" when absent or of another type.
std::string text_of(const nlohmann::json& j, const char* key);
// A reply that does not have the documented shape: Exit::unavailable, never unreachable.
Error malformed(const std::string& what);

// 2026-11-25T17:13:31.000Z, as Authy prints times.
std::string iso8601(std::int64_t t);

} // namespace twofa::authy::detail
