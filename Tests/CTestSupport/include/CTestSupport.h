#ifndef SWIFTSFU_CTESTSUPPORT_H
#define SWIFTSFU_CTESTSUPPORT_H
/// Moves the calling thread (only) into a new network namespace; 0 or -errno. Sockets it
/// creates afterwards live there, so an in-process agent on that thread and an external
/// peer started with `nsenter --net=/proc/<pid>/task/<tid>/ns/net` share a private `lo`.
int cts_unshare_network(void);

/// The calling thread's kernel id, for /proc/<pid>/task/<tid>.
int cts_thread_id(void);
#endif
