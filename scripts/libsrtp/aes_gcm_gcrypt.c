/*
 * AES-GCM for SRTP and SRTCP (RFC 7714) on libgcrypt, as SwiftSFU builds libsrtp2
 * (scripts/build-libsrtp.sh puts this file in place of crypto/cipher/aes_gcm_ossl.c,
 * so it defines the same two cipher types and debug module).
 *
 * On OpenSSL 3.0 (Debian 12's), every AES-GCM packet pays for named parameters: setting
 * the IV asks the provider for the IV length, and reading or setting the tag is a
 * control translated into a parameter array, each a run of string comparisons in the
 * provider. libgcrypt takes the IV, the AAD and the tag as plain calls on one handle:
 * on the benchmark machine, a 100-byte packet protected in 201 ns instead of 440, a
 * 1,200-byte one in 441 instead of 908 (docs/decisions.md, "AES-GCM on libgcrypt").
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <gcrypt.h>
#include <pthread.h>

#include "alloc.h"
#include "cipher.h"
#include "crypto_types.h"
#include "err.h" /* before cipher_types.h, which declares debug modules */
#include "cipher_test_cases.h"
#include "cipher_types.h"

srtp_debug_module_t srtp_mod_aes_gcm = {
    0,        /* debugging is off by default */
    "aes gcm" /* printable module name       */
};

/* RFC 7714 defines 16-octet tags; libsrtp also offers 8. */
#define GCM_TAG_LEN 16
#define GCM_TAG_LEN_8 8
#define GCM_IV_LEN 12

typedef struct {
    int key_size;
    int tag_len;
    gcry_cipher_hd_t handle;
    srtp_cipher_direction_t dir;
} swiftsfu_aes_gcm_t;

/* libgcrypt wants its version checked once before any other call; the check also
 * runs its initialization. Secure memory is not used: the handles are opened without
 * GCRY_CIPHER_SECURE, and libgcrypt wipes a handle's key material when it closes. */
static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;
static int gcrypt_ready;

static void gcrypt_initialize(void)
{
    gcrypt_ready = gcry_check_version(GCRYPT_VERSION) != NULL;
}

static srtp_err_status_t swiftsfu_aes_gcm_alloc(srtp_cipher_t **c,
                                               int key_len,
                                               int tag_len)
{
    swiftsfu_aes_gcm_t *gcm;
    const srtp_cipher_type_t *type;
    int algorithm, key_size;

    pthread_once(&gcrypt_once, gcrypt_initialize);
    if (!gcrypt_ready) {
        return srtp_err_status_init_fail;
    }
    if (tag_len != GCM_TAG_LEN && tag_len != GCM_TAG_LEN_8) {
        return srtp_err_status_bad_param;
    }
    switch (key_len) {
    case SRTP_AES_GCM_128_KEY_LEN_WSALT:
        type = &srtp_aes_gcm_128;
        algorithm = GCRY_CIPHER_AES128;
        key_size = SRTP_AES_128_KEY_LEN;
        break;
    case SRTP_AES_GCM_256_KEY_LEN_WSALT:
        type = &srtp_aes_gcm_256;
        algorithm = GCRY_CIPHER_AES256;
        key_size = SRTP_AES_256_KEY_LEN;
        break;
    default:
        return srtp_err_status_bad_param;
    }

    *c = (srtp_cipher_t *)srtp_crypto_alloc(sizeof(srtp_cipher_t));
    if (*c == NULL) {
        return srtp_err_status_alloc_fail;
    }
    gcm = (swiftsfu_aes_gcm_t *)srtp_crypto_alloc(sizeof(swiftsfu_aes_gcm_t));
    if (gcm == NULL) {
        srtp_crypto_free(*c);
        *c = NULL;
        return srtp_err_status_alloc_fail;
    }
    if (gcry_cipher_open(&gcm->handle, algorithm, GCRY_CIPHER_MODE_GCM, 0) != 0) {
        srtp_crypto_free(gcm);
        srtp_crypto_free(*c);
        *c = NULL;
        return srtp_err_status_alloc_fail;
    }

    (*c)->type = type;
    (*c)->algorithm = type->id;
    (*c)->state = gcm;
    (*c)->key_len = key_len;
    gcm->key_size = key_size;
    gcm->tag_len = tag_len;
    gcm->dir = srtp_direction_any;
    return srtp_err_status_ok;
}

static srtp_err_status_t swiftsfu_aes_gcm_dealloc(srtp_cipher_t *c)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)c->state;

    if (gcm != NULL) {
        gcry_cipher_close(gcm->handle);
        octet_string_set_to_zero(gcm, sizeof(swiftsfu_aes_gcm_t));
        srtp_crypto_free(gcm);
    }
    srtp_crypto_free(c);
    return srtp_err_status_ok;
}

/* The key without its salt: libsrtp passes the salt into each IV. */
static srtp_err_status_t swiftsfu_aes_gcm_init(void *cv, const uint8_t *key)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)cv;

    gcm->dir = srtp_direction_any;
    if (gcry_cipher_setkey(gcm->handle, key, (size_t)gcm->key_size) != 0) {
        return srtp_err_status_init_fail;
    }
    return srtp_err_status_ok;
}

/* Starts a packet: the IV resets the AAD, the data and the tag. */
static srtp_err_status_t swiftsfu_aes_gcm_set_iv(void *cv,
                                                uint8_t *iv,
                                                srtp_cipher_direction_t direction)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)cv;

    if (direction != srtp_direction_encrypt &&
        direction != srtp_direction_decrypt) {
        return srtp_err_status_bad_param;
    }
    gcm->dir = direction;
    if (gcry_cipher_setiv(gcm->handle, iv, GCM_IV_LEN) != 0) {
        return srtp_err_status_init_fail;
    }
    return srtp_err_status_ok;
}

/* AAD, in one or more parts before the data (SRTCP gives the header, then its index). */
static srtp_err_status_t swiftsfu_aes_gcm_set_aad(void *cv,
                                                 const uint8_t *aad,
                                                 uint32_t aad_len)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)cv;

    if (gcry_cipher_authenticate(gcm->handle, aad, aad_len) != 0) {
        return srtp_err_status_algo_fail;
    }
    return srtp_err_status_ok;
}

/* Encrypts or decrypts `length` bytes of a packet's data in place, all of them in this
 * one call (none for an SRTCP packet that is only authenticated). Either direction's
 * IV will do, as with libsrtp's own GCM; only a packet begun without one is refused. */
static srtp_err_status_t swiftsfu_aes_gcm_transform(swiftsfu_aes_gcm_t *gcm,
                                                   unsigned char *buf,
                                                   unsigned int length,
                                                   int encrypting)
{
    gcry_error_t error;

    if (gcm->dir == srtp_direction_any) {
        return srtp_err_status_bad_param;
    }
    if (length == 0) {
        return srtp_err_status_ok;
    }
    /* GCM takes a last chunk of any length without gcry_cipher_final (which OCB needs):
     * the experiment's outputs match OpenSSL's at every length. */
    error = encrypting ? gcry_cipher_encrypt(gcm->handle, buf, length, NULL, 0)
                       : gcry_cipher_decrypt(gcm->handle, buf, length, NULL, 0);
    return error == 0 ? srtp_err_status_ok : srtp_err_status_algo_fail;
}

static srtp_err_status_t swiftsfu_aes_gcm_encrypt(void *cv,
                                                 unsigned char *buf,
                                                 unsigned int *enc_len)
{
    return swiftsfu_aes_gcm_transform((swiftsfu_aes_gcm_t *)cv, buf, *enc_len, 1);
}

/* The tag over the AAD and the data encrypted, written at `buf`. */
static srtp_err_status_t swiftsfu_aes_gcm_get_tag(void *cv,
                                                 uint8_t *buf,
                                                 uint32_t *len)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)cv;

    if (gcry_cipher_gettag(gcm->handle, buf, (size_t)gcm->tag_len) != 0) {
        return srtp_err_status_algo_fail;
    }
    *len = (uint32_t)gcm->tag_len;
    return srtp_err_status_ok;
}

/* Decrypts the data before the tag at the end of `buf` in place and checks the tag
 * (in constant time): authentication fails on a mismatch, and libsrtp drops the
 * packet. `*enc_len` loses the tag. */
static srtp_err_status_t swiftsfu_aes_gcm_decrypt(void *cv,
                                                 unsigned char *buf,
                                                 unsigned int *enc_len)
{
    swiftsfu_aes_gcm_t *gcm = (swiftsfu_aes_gcm_t *)cv;
    unsigned int data_len;
    srtp_err_status_t status;

    if (*enc_len < (unsigned int)gcm->tag_len) {
        return srtp_err_status_auth_fail;
    }
    data_len = *enc_len - (unsigned int)gcm->tag_len;
    status = swiftsfu_aes_gcm_transform(gcm, buf, data_len, 0);
    if (status != srtp_err_status_ok) {
        return status;
    }
    if (gcry_cipher_checktag(gcm->handle, buf + data_len, (size_t)gcm->tag_len) != 0) {
        return srtp_err_status_auth_fail;
    }
    *enc_len = data_len;
    return srtp_err_status_ok;
}

static const char swiftsfu_aes_gcm_128_description[] = "AES-128 GCM using libgcrypt";
static const char swiftsfu_aes_gcm_256_description[] = "AES-256 GCM using libgcrypt";

const srtp_cipher_type_t srtp_aes_gcm_128 = {
    swiftsfu_aes_gcm_alloc,
    swiftsfu_aes_gcm_dealloc,
    swiftsfu_aes_gcm_init,
    swiftsfu_aes_gcm_set_aad,
    swiftsfu_aes_gcm_encrypt,
    swiftsfu_aes_gcm_decrypt,
    swiftsfu_aes_gcm_set_iv,
    swiftsfu_aes_gcm_get_tag,
    swiftsfu_aes_gcm_128_description,
    &srtp_aes_gcm_128_test_case_0,
    SRTP_AES_GCM_128
};

const srtp_cipher_type_t srtp_aes_gcm_256 = {
    swiftsfu_aes_gcm_alloc,
    swiftsfu_aes_gcm_dealloc,
    swiftsfu_aes_gcm_init,
    swiftsfu_aes_gcm_set_aad,
    swiftsfu_aes_gcm_encrypt,
    swiftsfu_aes_gcm_decrypt,
    swiftsfu_aes_gcm_set_iv,
    swiftsfu_aes_gcm_get_tag,
    swiftsfu_aes_gcm_256_description,
    &srtp_aes_gcm_256_test_case_0,
    SRTP_AES_GCM_256
};
