// libssl's functions that the listener's TLS calls, forwarded to the library loaded on first
// use (util/lazy_library.hpp): only a listener with a certificate pays for loading it.
#include "util/lazy_library.hpp"

#include <openssl/ssl.h>

namespace {
twofa::detail::LazyLibrary g_libssl("libssl.so.3", "libssl3");
} // namespace

twofa::Status twofa::detail::load_libssl() {
    return g_libssl.load();
}

extern "C" {

TWOFA_FORWARDER const SSL_METHOD* TLS_server_method() {
    TWOFA_LAZY(g_libssl, TLS_server_method);
    return real();
}
TWOFA_FORWARDER SSL_CTX* SSL_CTX_new(const SSL_METHOD* method) {
    TWOFA_LAZY(g_libssl, SSL_CTX_new);
    return real(method);
}
TWOFA_FORWARDER void SSL_CTX_free(SSL_CTX* ctx) {
    TWOFA_LAZY(g_libssl, SSL_CTX_free);
    real(ctx);
}
TWOFA_FORWARDER long SSL_CTX_ctrl(SSL_CTX* ctx, int cmd, long larg, void* parg) {
    TWOFA_LAZY(g_libssl, SSL_CTX_ctrl);
    return real(ctx, cmd, larg, parg);
}
TWOFA_FORWARDER int SSL_CTX_use_certificate_chain_file(SSL_CTX* ctx, const char* file) {
    TWOFA_LAZY(g_libssl, SSL_CTX_use_certificate_chain_file);
    return real(ctx, file);
}
TWOFA_FORWARDER int SSL_CTX_use_PrivateKey_file(SSL_CTX* ctx, const char* file, int type) {
    TWOFA_LAZY(g_libssl, SSL_CTX_use_PrivateKey_file);
    return real(ctx, file, type);
}
TWOFA_FORWARDER int SSL_CTX_check_private_key(const SSL_CTX* ctx) {
    TWOFA_LAZY(g_libssl, SSL_CTX_check_private_key);
    return real(ctx);
}
TWOFA_FORWARDER SSL* SSL_new(SSL_CTX* ctx) {
    TWOFA_LAZY(g_libssl, SSL_new);
    return real(ctx);
}
TWOFA_FORWARDER void SSL_free(SSL* ssl) {
    TWOFA_LAZY(g_libssl, SSL_free);
    real(ssl);
}
TWOFA_FORWARDER int SSL_set_fd(SSL* ssl, int fd) {
    TWOFA_LAZY(g_libssl, SSL_set_fd);
    return real(ssl, fd);
}
TWOFA_FORWARDER int SSL_accept(SSL* ssl) {
    TWOFA_LAZY(g_libssl, SSL_accept);
    return real(ssl);
}
TWOFA_FORWARDER int SSL_read(SSL* ssl, void* buf, int num) {
    TWOFA_LAZY(g_libssl, SSL_read);
    return real(ssl, buf, num);
}
TWOFA_FORWARDER int SSL_write(SSL* ssl, const void* buf, int num) {
    TWOFA_LAZY(g_libssl, SSL_write);
    return real(ssl, buf, num);
}
TWOFA_FORWARDER int SSL_get_error(const SSL* ssl, int ret) {
    TWOFA_LAZY(g_libssl, SSL_get_error);
    return real(ssl, ret);
}

} // extern "C"
