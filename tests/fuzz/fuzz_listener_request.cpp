// The listener's request handling: a raw request head (and body after the blank line) through
// the HTTP parser and the listener's screening (routing, cheap checks, signature, decoding).
// A request that was not signed with the key must never come out as a callback to commit.
#include <twofa/authy/provider.hpp>
#include <twofa/http_server.hpp>
#include <twofa/listener.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto verifier = twofa::authy::make_callback_verifier(
        "fuzz-key-without-a-known-signature",
        twofa::CallbackSettings{300, [] { return 1700000000.0; }});
    static twofa::Listener listener(
        [] {
            twofa::ListenerOptions o;
            o.public_url = "https://login.example.com/authy/callback";
            return o;
        }(),
        *verifier, nullptr, nullptr);
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto end = input.find("\r\n\r\n");
    twofa::IncomingRequest req;
    int status = twofa::parse_request_head(input.substr(0, end), req);
    if (status != 0) {
        return 0;
    }
    if (end != std::string_view::npos) {
        req.body = input.substr(end + 4);
    }
    auto screened = listener.screen(req);
    if (screened.callback) {
        __builtin_trap(); // a forged request got through
    }
    return 0;
}
