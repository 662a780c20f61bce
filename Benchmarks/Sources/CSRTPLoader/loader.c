#include "CSRTPLoader.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

struct csrtp_library {
    void *handle;
    srtp_err_status_t (*init)(void);
    srtp_err_status_t (*create)(srtp_t *, const srtp_policy_t *);
    srtp_err_status_t (*dealloc)(srtp_t);
    srtp_err_status_t (*protect)(srtp_t, void *, int *);
    srtp_err_status_t (*unprotect)(srtp_t, void *, int *);
    srtp_err_status_t (*policy_from_profile_rtp)(srtp_crypto_policy_t *, srtp_profile_t);
    srtp_err_status_t (*policy_from_profile_rtcp)(srtp_crypto_policy_t *, srtp_profile_t);
};

csrtp_library *csrtp_library_open(const char *path, char *error, size_t error_length) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_length, "%s", dlerror());
        return NULL;
    }
    csrtp_library *library = calloc(1, sizeof(*library));
    library->handle = handle;
    library->init = dlsym(handle, "srtp_init");
    library->create = dlsym(handle, "srtp_create");
    library->dealloc = dlsym(handle, "srtp_dealloc");
    library->protect = dlsym(handle, "srtp_protect");
    library->unprotect = dlsym(handle, "srtp_unprotect");
    library->policy_from_profile_rtp = dlsym(handle, "srtp_crypto_policy_set_from_profile_for_rtp");
    library->policy_from_profile_rtcp = dlsym(handle, "srtp_crypto_policy_set_from_profile_for_rtcp");
    if (!library->init || !library->create || !library->dealloc || !library->protect || !library->unprotect
        || !library->policy_from_profile_rtp || !library->policy_from_profile_rtcp || library->init() != 0) {
        snprintf(error, error_length, "%s: missing symbols or srtp_init failed", path);
        csrtp_library_close(library);
        return NULL;
    }
    return library;
}

void csrtp_library_close(csrtp_library *library) {
    if (!library) return;
    dlclose(library->handle);
    free(library);
}

void *csrtp_session_create(csrtp_library *library, int profile, const uint8_t *key, int outbound) {
    static const srtp_profile_t profiles[] = { srtp_profile_aes128_cm_sha1_80, srtp_profile_aead_aes_128_gcm,
                                               srtp_profile_aead_aes_256_gcm };
    if (profile < 0 || profile > 2) return NULL;
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    library->policy_from_profile_rtp(&policy.rtp, profiles[profile]);
    library->policy_from_profile_rtcp(&policy.rtcp, profiles[profile]);
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = (unsigned char *)key;
    policy.window_size = 1024;
    policy.allow_repeat_tx = outbound;
    srtp_t session = NULL;
    if (library->create(&session, &policy) != srtp_err_status_ok) return NULL;
    return session;
}

void csrtp_session_free(csrtp_library *library, void *session) { library->dealloc((srtp_t)session); }

int csrtp_protect(csrtp_library *library, void *session, uint8_t *packet, int *length) {
    return (int)library->protect((srtp_t)session, packet, length);
}

int csrtp_unprotect(csrtp_library *library, void *session, uint8_t *packet, int *length) {
    return (int)library->unprotect((srtp_t)session, packet, length);
}
