// Every decoder of a provider answer: the first byte picks the HTTP status, the rest is the
// body. A verify answer is valid only with HTTP 200, "token":"is valid" and success.
#include <twofa/authy/wire.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    static const long k_statuses[] = {0, 200, 200, 200, 400, 401, 404, 429, 500, 503};
    twofa::HttpResponse r;
    r.status = k_statuses[data[0] % 10];
    r.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
    using namespace twofa::authy;
    auto verdict = decode_verify(r);
    if (verdict.ok() && *verdict == TokenVerdict::valid &&
        (r.status != 200 || r.body.find("is valid") == std::string::npos)) {
        __builtin_trap();
    }
    (void)decode_new_user(r);
    (void)decode_user_status(r);
    (void)decode_code_sent(r);
    (void)decode_approval_created(r);
    (void)decode_approval_status(r);
    (void)decode_ok(r);
    (void)decode_error(r);
    (void)error_code_of(r.body);
    (void)flatten_json_params(r.body);
    return 0;
}
