#ifndef SWIFTSFU_COPENSSL_SHIM_H
#define SWIFTSFU_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/opensslv.h>

// Macros and variadic calls are not imported by Swift: thin wrappers, no logic.

static inline EVP_PKEY *cossl_ec_p256_generate(void) { return EVP_EC_gen("P-256"); }

static inline int cossl_ctx_set_dtls12_only(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) && SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
}

static inline void cossl_ctx_disable_session_cache(SSL_CTX *ctx) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

static inline void cossl_set_mtu(SSL *ssl, long mtu) {
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl, mtu);
    DTLS_set_link_mtu(ssl, mtu);
}

/// Milliseconds until the DTLS retransmission timer fires, or -1 when none runs.
static inline long cossl_dtls_timeout_ms(SSL *ssl) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return -1;
    return (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000;
}

static inline int cossl_dtls_handle_timeout(SSL *ssl) { return (int)DTLSv1_handle_timeout(ssl); }

static inline void cossl_bio_set_mem_eof_return(BIO *bio, int value) { BIO_set_mem_eof_return(bio, value); }

static const long COSSL_BIO_CTRL_FLUSH = BIO_CTRL_FLUSH;
static const long COSSL_BIO_CTRL_DGRAM_QUERY_MTU = BIO_CTRL_DGRAM_QUERY_MTU;
static const int COSSL_BIO_TYPE_SOURCE_SINK = BIO_TYPE_SOURCE_SINK;
static const int COSSL_SSL_VERIFY_PEER_REQUIRED = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
static const int COSSL_SSL_RECEIVED_SHUTDOWN = SSL_RECEIVED_SHUTDOWN;
#endif
