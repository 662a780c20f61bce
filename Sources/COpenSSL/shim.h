#ifndef SWIFTSFU_COPENSSL_SHIM_H
#define SWIFTSFU_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/opensslv.h>
#endif
