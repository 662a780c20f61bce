/* AES-128-GCM per packet as libsrtp2 drives its cipher, on OpenSSL 3 (the calls of
 * libsrtp's own aes_gcm_ossl.c, less the two scripts/build-libsrtp.sh once took out)
 * and on libgcrypt (scripts/libsrtp/aes_gcm_gcrypt.c's calls): ns per packet protected
 * and unprotected at three sizes, in alternating rounds, after checking that both give
 * the same ciphertext and tag and reject a tampered tag; then the heap each keyed
 * context takes. One JSON line per measurement. See run.py. */
#include <gcrypt.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { PACKETS = 500000, ROUNDS = 3, TAG = 16, CONTEXTS = 10000 };
static const unsigned SIZES[] = { 100, 700, 1200 };
static unsigned char key[16] = { 1, 2, 3, 4 }, iv[12] = { 9 }, aad[12] = { 0x80, 0x60 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int openssl_protect(EVP_CIPHER_CTX *c, unsigned char *data, unsigned length, unsigned char *tag)
{
    return EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 1) && EVP_Cipher(c, NULL, aad, sizeof aad) >= 0
        && EVP_Cipher(c, data, data, length) >= 0 && EVP_Cipher(c, NULL, NULL, 0) >= 0
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag);
}

static int openssl_unprotect(EVP_CIPHER_CTX *c, unsigned char *data, unsigned length, unsigned char *tag)
{
    return EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 0) && EVP_Cipher(c, NULL, aad, sizeof aad) >= 0
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) && EVP_Cipher(c, data, data, length) >= 0
        && EVP_Cipher(c, NULL, NULL, 0) == 0;
}

static int gcrypt_protect(gcry_cipher_hd_t h, unsigned char *data, unsigned length, unsigned char *tag)
{
    return !gcry_cipher_setiv(h, iv, sizeof iv) && !gcry_cipher_authenticate(h, aad, sizeof aad)
        && !gcry_cipher_encrypt(h, data, length, NULL, 0)
        && !gcry_cipher_gettag(h, tag, TAG);
}

static int gcrypt_unprotect(gcry_cipher_hd_t h, unsigned char *data, unsigned length, unsigned char *tag)
{
    return !gcry_cipher_setiv(h, iv, sizeof iv) && !gcry_cipher_authenticate(h, aad, sizeof aad)
        && !gcry_cipher_decrypt(h, data, length, NULL, 0)
        && !gcry_cipher_checktag(h, tag, TAG);
}

int main(void)
{
    static unsigned char a[2048], b[2048], tag_a[TAG], tag_b[TAG];
    EVP_CIPHER_CTX *encrypting = EVP_CIPHER_CTX_new(), *decrypting = EVP_CIPHER_CTX_new();
    gcry_cipher_hd_t handle;

    if (!gcry_check_version(GCRYPT_VERSION)) return 1;
    EVP_CipherInit_ex(encrypting, EVP_aes_128_gcm(), NULL, key, NULL, 1);
    EVP_CipherInit_ex(decrypting, EVP_aes_128_gcm(), NULL, key, NULL, 0);
    gcry_cipher_open(&handle, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0);
    gcry_cipher_setkey(handle, key, sizeof key);

    for (unsigned length = 0; length < 1500; length += 37) {
        for (unsigned i = 0; i < length; i++) a[i] = b[i] = (unsigned char)(i * 7);
        if (!openssl_protect(encrypting, a, length, tag_a) || !gcrypt_protect(handle, b, length, tag_b)
            || memcmp(a, b, length) || memcmp(tag_a, tag_b, TAG) || !openssl_unprotect(decrypting, a, length, tag_a)
            || !gcrypt_unprotect(handle, b, length, tag_b) || memcmp(a, b, length)) {
            printf("{\"error\": \"the libraries differ at %u bytes\"}\n", length);
            return 1;
        }
        tag_b[0] ^= 1;
        if (gcrypt_unprotect(handle, b, length, tag_b)) {
            printf("{\"error\": \"libgcrypt took a tampered tag at %u bytes\"}\n", length);
            return 1;
        }
    }

    for (int round = 0; round < ROUNDS; round++) {
        for (unsigned s = 0; s < sizeof SIZES / sizeof *SIZES; s++) {
            unsigned length = SIZES[s];
            double start = now();
            for (int i = 0; i < PACKETS; i++) { iv[11] = (unsigned char)i; openssl_protect(encrypting, a, length, tag_a); }
            double openssl_protect_ns = (now() - start) / PACKETS;
            start = now();
            for (int i = 0; i < PACKETS; i++) { iv[11] = (unsigned char)i; gcrypt_protect(handle, b, length, tag_b); }
            double gcrypt_protect_ns = (now() - start) / PACKETS;
            start = now();
            for (int i = 0; i < PACKETS; i++) openssl_unprotect(decrypting, a, length, tag_a);
            double openssl_unprotect_ns = (now() - start) / PACKETS;
            start = now();
            for (int i = 0; i < PACKETS; i++) gcrypt_unprotect(handle, b, length, tag_b);
            double gcrypt_unprotect_ns = (now() - start) / PACKETS;
            printf("{\"round\": %d, \"bytes\": %u, \"openssl_protect_ns\": %.0f, \"gcrypt_protect_ns\": %.0f, "
                   "\"openssl_unprotect_ns\": %.0f, \"gcrypt_unprotect_ns\": %.0f}\n",
                   round, length, openssl_protect_ns, gcrypt_protect_ns, openssl_unprotect_ns, gcrypt_unprotect_ns);
        }
    }

    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < CONTEXTS; i++) {
        gcry_cipher_hd_t h;
        gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0);
        gcry_cipher_setkey(h, key, sizeof key);
    }
    struct mallinfo2 middle = mallinfo2();
    for (int i = 0; i < CONTEXTS; i++) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL, 1);
    }
    struct mallinfo2 after = mallinfo2();
    printf("{\"openssl_context_bytes\": %zu, \"gcrypt_context_bytes\": %zu}\n",
           (after.uordblks - middle.uordblks) / CONTEXTS, (middle.uordblks - before.uordblks) / CONTEXTS);
    return 0;
}
