#ifndef SWIFTSFU_CSRTP_SHIM_H
#define SWIFTSFU_CSRTP_SHIM_H
#include <srtp2/srtp.h>
#endif
