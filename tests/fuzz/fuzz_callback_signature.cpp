// The callback canonicaliser and signature check on arbitrary bodies and query strings: no
// crash, no leak, bounded time (the depth cap and the flattening budget), the check never
// accepts a signature made with another key, and the listener's one-pass canonical form is
// always the one made from the flattened pairs (or both refuse the body, for the same reason).
#include <twofa/authy/signature.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace twofa::authy;
    auto canonical = canonical_json_params(input);
    auto pairs = flatten_json_callback(input);
    if (canonical.ok() != pairs.ok() ||
        (pairs.ok() ? *canonical != canonical_flat_params(*pairs)
                    : canonical.error().message != pairs.error().message)) {
        __builtin_trap();
    }
    if (canonical.ok()) {
        auto good = sign_callback("key", "1700000000", "POST", "https://x/cb", *canonical);
        auto other = sign_callback("key2", "1700000000", "POST", "https://x/cb", *canonical);
        if (!signatures_equal(good, good) || signatures_equal(good, other)) {
            __builtin_trap();
        }
    }
    auto flat = canonical_flat_params(twofa::form_decode(input));
    (void)sign_callback("key", "1700000000", "GET", "https://x/cb", flat);
    (void)json_depth(input);
    return 0;
}
