#ifndef SWIFTSFU_CUDP_H
#define SWIFTSFU_CUDP_H
// Batched UDP sends. sendmmsg and UDP_SEGMENT need _GNU_SOURCE, which must stay inside
// the .c file: defining it in a header Swift imports re-declares glibc types differently
// from the other C modules (docs/decisions.md).
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
// epoll and eventfd: a worker's loop waits on its peers' GLib contexts and its job
// queue (ContextMux.swift, JobQueue.swift).
#include <sys/epoll.h>
#include <sys/eventfd.h>

/// Sends `count` datagrams to one destination with sendmmsg(2), in slices of at most 64.
/// Returns the number sent (fewer when the socket buffer fills), or -errno if none was.
int cudp_send_batch(int fd, const struct sockaddr *to, socklen_t to_length, const struct iovec *datagrams,
                    unsigned int count);

/// Sends `count` datagrams to one destination in one sendmmsg(2) per 64 groups: each
/// group is a run of datagrams of one size (the last may be shorter), sent as one UDP GSO
/// message. Returns the number of datagrams sent (fewer when the socket buffer fills),
/// or -errno if none was (-EIO when the route cannot segment).
int cudp_send_grouped(int fd, const struct sockaddr *to, socklen_t to_length, const struct iovec *datagrams,
                      unsigned int count);

/// Sends `length` bytes as datagrams of `segment_size` bytes (the last may be shorter)
/// in one sendmsg(2) with UDP_SEGMENT (UDP GSO). Returns bytes sent or -errno.
ssize_t cudp_send_segments(int fd, const struct sockaddr *to, socklen_t to_length, const void *bytes, size_t length,
                           uint16_t segment_size);

/// Sends one datagram; returns bytes sent or -errno.
ssize_t cudp_send(int fd, const struct sockaddr *to, socklen_t to_length, const void *bytes, size_t length);

/// Sets SO_RCVBUF and SO_SNDBUF; returns 0 or -errno.
int cudp_set_buffer_sizes(int fd, int size);

/// When the kernel received the last datagram read from `fd` (SIOCGSTAMPNS), in
/// nanoseconds of CLOCK_REALTIME; -errno when no datagram was read yet. The first call
/// turns receive timestamps on for the datagrams that arrive after it.
int64_t cudp_last_receive_time(int fd);

/// Opens a second socket on the local address of `shared_fd` (a libnice socket) that takes
/// the RTP and RTCP arriving there, and only that: both sockets join one SO_REUSEPORT
/// group and a classic BPF program on the group sends every datagram whose first byte
/// says RTP or RTCP (128-191, RFC 7983) to the new socket, everything else (STUN, DTLS,
/// anything short) to `shared_fd`. The new
/// socket is non-blocking, has SO_TIMESTAMPNS on and buffers of `buffer_size` bytes.
/// Returns its descriptor, or -errno (the group is left as it was).
int cudp_open_rtp_socket(int shared_fd, int buffer_size);

/// Replaces the program of the RTP socket `fd`'s group: RTP and RTCP as before, and STUN
/// binding requests from `from` alone to the RTP socket as well. Returns 0 or -errno.
int cudp_steer_binding_requests(int fd, const struct sockaddr *from, socklen_t from_length);

/// Puts back the program `cudp_open_rtp_socket` attached: RTP and RTCP only. 0 or -errno.
int cudp_steer_media_only(int fd);

/// What one message of a recvmmsg(2) held. With UDP GRO on the socket, the kernel
/// hands over datagrams of one source that arrived together (a GSO send's, or what the
/// network card coalesced) as one message: `segment_size` bytes each, the last may be
/// shorter.
struct cudp_received {
    /// The message's length (0 for one from another address than the expected one,
    /// or one too long for its buffer, which is dropped), the size of the datagrams in it
    /// (0 for a single datagram) and its kernel receive time (CLOCK_REALTIME
    /// nanoseconds, 0 when the kernel gave none).
    uint32_t length;
    uint32_t segment_size;
    uint64_t time;
};

/// Reads what is ready on `fd` (at most `count` messages) with one recvmmsg(2) into
/// `count` buffers of `capacity` bytes each, `stride` bytes apart from `buffers`; a
/// message from another source than `from` gets length 0. Returns the number of
/// messages read, 0 when none was ready, or -errno.
int cudp_receive_batch(int fd, const struct sockaddr *from, socklen_t from_length, uint8_t *buffers, size_t stride,
                       size_t capacity, struct cudp_received *received, unsigned int count);

/// A destination address and its length.
struct cudp_destination {
    struct sockaddr_storage storage;
    socklen_t length;
};

/// The IPv4 address `address` (dotted quad) and `port`; length 0 when `address` is not
/// an IPv4 address.
struct cudp_destination cudp_ipv4_destination(const char *address, uint16_t port);

/// The largest segment count one UDP GSO send accepts (UDP_MAX_SEGMENTS).
enum { CUDP_MAX_SEGMENTS = 64 };
/// The most bytes one UDP GSO send carries: one UDP datagram's worth over IPv4.
enum { CUDP_MAX_SEGMENTED_BYTES = 65507 };
#endif
