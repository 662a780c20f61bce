#define _GNU_SOURCE
#include "CTestSupport.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

int cts_unshare_network(void) { return unshare(CLONE_NEWNET) == 0 ? 0 : -errno; }

int cts_thread_id(void) { return (int)gettid(); }
