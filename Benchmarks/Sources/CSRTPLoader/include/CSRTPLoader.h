#ifndef SWIFTSFU_CSRTPLOADER_H
#define SWIFTSFU_CSRTPLOADER_H
#include <stddef.h>
#include <stdint.h>

/// One copy of libsrtp2 loaded from a shared library of its own (RTLD_LOCAL), so that the
/// OpenSSL build and Debian's NSS build can be measured in one process. The process must
/// not define libsrtp's symbols itself, or the loaded copies would call into it.
typedef struct csrtp_library csrtp_library;

/// Loads the library at `path`; NULL (and a message in `error`) when it cannot.
csrtp_library *csrtp_library_open(const char *path, char *error, size_t error_length);
void csrtp_library_close(csrtp_library *library);

/// 0: AES_CM_128_HMAC_SHA1_80, 1: AEAD_AES_128_GCM, 2: AEAD_AES_256_GCM.
/// Returns an opaque session (srtp_t) that accepts any SSRC, or NULL.
void *csrtp_session_create(csrtp_library *library, int profile, const uint8_t *key, int outbound);
void csrtp_session_free(csrtp_library *library, void *session);
/// srtp_protect / srtp_unprotect on `packet` (with room for the tag); returns the status.
int csrtp_protect(csrtp_library *library, void *session, uint8_t *packet, int *length);
int csrtp_unprotect(csrtp_library *library, void *session, uint8_t *packet, int *length);
#endif
