#pragma once
// Authy's OneTouch callback signature (authy-protocol.md §2.3), shared by the callback listener
// (which checks it) and twofa-sandbox (which signs its callbacks the way Authy does).
#include <twofa/result.hpp>
#include <twofa/util.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twofa::authy {

// Real callbacks are 3 levels deep; deeper bodies are refused before they are parsed.
inline constexpr std::size_t k_max_callback_depth = 32;

// The deepest nesting of objects and arrays in a JSON text (strings skipped): one linear scan,
// no parsing, so it is safe on hostile input.
std::size_t json_depth(std::string_view body) noexcept;

// A callback's parameters as raw (key, value) pairs, keys PHP-style ("a[b][0]").
using Params = FormPairs;

// A JSON callback body flattened once into its pairs (null as an empty value, booleans inside
// lists as True/False unless python_lists is false, empty objects and lists dropped): what the
// signature is computed from and the fields are read from (canonical_json_callback does both
// in one pass, for the listener). Exit::usage when the body is not a JSON object, is nested
// deeper than k_max_callback_depth, or would flatten to more than about four times its size.
Result<Params> flatten_json_callback(std::string_view body, bool python_lists = true);

// The sorted parameter string of a JSON callback body (steps 1-3: PHP-style flattening, each
// key and value percent-encoded like Python's quote(), "/" as %2F, "%20" as "+", pairs sorted
// by bytes, list indices turned into "[]", null as an empty value, empty objects and lists
// dropped). Exit::usage when the body is not a JSON object, is nested deeper than
// k_max_callback_depth, or would flatten to more than about four times its size.
Result<std::string> canonical_json_params(std::string_view body);

// A JSON callback body's canonical form (as canonical_json_params) and its top-level scalar
// pairs, raw (the fields decode_callback_params reads), in one pass over the body with no
// flattened pairs in between: the listener's path.
struct CanonicalCallback {
    std::string canonical;
    Params top;
};
Result<CanonicalCallback> canonical_json_callback(std::string_view body);

// The canonical form from pairs: flatten_json_callback's, or a GET callback's decoded query.
std::string canonical_flat_params(const Params& params);

// base64(HMAC-SHA256(api_key, nonce "|" method "|" url "|" canonical)), standard alphabet with
// padding: the value of X-Authy-Signature.
std::string sign_callback(std::string_view api_key, std::string_view nonce, std::string_view method,
                          std::string_view url, std::string_view canonical);

// Constant-time comparison of two signatures (false when the lengths differ).
bool signatures_equal(std::string_view a, std::string_view b);

} // namespace twofa::authy
