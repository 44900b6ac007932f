// libcrypto's functions that twofa calls, forwarded to the library loaded on first use
// (util/lazy_library.hpp). OpenSSL's libcrypto costs about 1.3 ms of every start-up (its
// relocations alone), and the commands that only read the store (status, user list, logout)
// never hash with it: SHA-256 comes from libsodium. It is part of libssl3, which the package
// depends on, so the forwarders call it without a load() check first.
#include "util/lazy_library.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace {
twofa::detail::LazyLibrary g_libcrypto("libcrypto.so.3", "libssl3");
} // namespace

extern "C" {

TWOFA_FORWARDER const EVP_MD* EVP_sha1() {
    TWOFA_LAZY(g_libcrypto, EVP_sha1);
    return real();
}
TWOFA_FORWARDER const EVP_MD* EVP_sha256() {
    TWOFA_LAZY(g_libcrypto, EVP_sha256);
    return real();
}
TWOFA_FORWARDER const EVP_MD* EVP_sha512() {
    TWOFA_LAZY(g_libcrypto, EVP_sha512);
    return real();
}
TWOFA_FORWARDER int EVP_MD_get_size(const EVP_MD* md) {
    TWOFA_LAZY(g_libcrypto, EVP_MD_get_size);
    return real(md);
}
TWOFA_FORWARDER unsigned char* HMAC(const EVP_MD* md, const void* key, int key_len,
                                    const unsigned char* data, size_t data_len, unsigned char* out,
                                    unsigned int* out_len) {
    TWOFA_LAZY(g_libcrypto, HMAC);
    return real(md, key, key_len, data, data_len, out, out_len);
}
TWOFA_FORWARDER int EVP_Digest(const void* data, size_t count, unsigned char* out,
                               unsigned int* size, const EVP_MD* type, ENGINE* impl) {
    TWOFA_LAZY(g_libcrypto, EVP_Digest);
    return real(data, count, out, size, type, impl);
}
TWOFA_FORWARDER int PKCS5_PBKDF2_HMAC(const char* pass, int passlen, const unsigned char* salt,
                                      int saltlen, int iter, const EVP_MD* digest, int keylen,
                                      unsigned char* out) {
    TWOFA_LAZY(g_libcrypto, PKCS5_PBKDF2_HMAC);
    return real(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}
TWOFA_FORWARDER int EVP_PBE_scrypt(const char* pass, size_t passlen, const unsigned char* salt,
                                   size_t saltlen, uint64_t n, uint64_t r, uint64_t p,
                                   uint64_t maxmem, unsigned char* key, size_t keylen) {
    TWOFA_LAZY(g_libcrypto, EVP_PBE_scrypt);
    return real(pass, passlen, salt, saltlen, n, r, p, maxmem, key, keylen);
}
TWOFA_FORWARDER int EVP_EncodeBlock(unsigned char* out, const unsigned char* in, int n) {
    TWOFA_LAZY(g_libcrypto, EVP_EncodeBlock);
    return real(out, in, n);
}
TWOFA_FORWARDER int EVP_DecodeBlock(unsigned char* out, const unsigned char* in, int n) {
    TWOFA_LAZY(g_libcrypto, EVP_DecodeBlock);
    return real(out, in, n);
}
TWOFA_FORWARDER EVP_MAC* EVP_MAC_fetch(OSSL_LIB_CTX* libctx, const char* algorithm,
                                       const char* properties) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_fetch);
    return real(libctx, algorithm, properties);
}
TWOFA_FORWARDER EVP_MAC_CTX* EVP_MAC_CTX_new(EVP_MAC* mac) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_CTX_new);
    return real(mac);
}
TWOFA_FORWARDER void EVP_MAC_CTX_free(EVP_MAC_CTX* ctx) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_CTX_free);
    real(ctx);
}
TWOFA_FORWARDER int EVP_MAC_init(EVP_MAC_CTX* ctx, const unsigned char* key, size_t keylen,
                                 const OSSL_PARAM params[]) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_init);
    return real(ctx, key, keylen, params);
}
TWOFA_FORWARDER int EVP_MAC_update(EVP_MAC_CTX* ctx, const unsigned char* data, size_t datalen) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_update);
    return real(ctx, data, datalen);
}
TWOFA_FORWARDER int EVP_MAC_final(EVP_MAC_CTX* ctx, unsigned char* out, size_t* outl,
                                  size_t outsize) {
    TWOFA_LAZY(g_libcrypto, EVP_MAC_final);
    return real(ctx, out, outl, outsize);
}
TWOFA_FORWARDER OSSL_PARAM OSSL_PARAM_construct_utf8_string(const char* key, char* buf,
                                                            size_t bsize) {
    TWOFA_LAZY(g_libcrypto, OSSL_PARAM_construct_utf8_string);
    return real(key, buf, bsize);
}
TWOFA_FORWARDER OSSL_PARAM OSSL_PARAM_construct_end() {
    TWOFA_LAZY(g_libcrypto, OSSL_PARAM_construct_end);
    return real();
}
TWOFA_FORWARDER int RAND_bytes(unsigned char* buf, int num) {
    TWOFA_LAZY(g_libcrypto, RAND_bytes);
    return real(buf, num);
}
TWOFA_FORWARDER void ERR_clear_error() {
    TWOFA_LAZY(g_libcrypto, ERR_clear_error);
    real();
}

} // extern "C"
