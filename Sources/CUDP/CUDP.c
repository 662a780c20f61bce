#define _GNU_SOURCE
#include "CUDP.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

enum { SLICE = 64 };

/// Makes `header` a UDP GSO message of `segment_size`-byte datagrams, its control data
/// in `control` (CMSG_SPACE(sizeof(uint16_t)) bytes).
static void set_segment_size(struct msghdr *header, char *control, uint16_t segment_size) {
    memset(control, 0, CMSG_SPACE(sizeof(uint16_t)));
    header->msg_control = control;
    header->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *segment = CMSG_FIRSTHDR(header);
    segment->cmsg_level = SOL_UDP;
    segment->cmsg_type = UDP_SEGMENT;
    segment->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(segment), &segment_size, sizeof(uint16_t));
}

int cudp_send_batch(int fd, const struct sockaddr *to, socklen_t to_length, const struct iovec *datagrams,
                    unsigned int count) {
    struct mmsghdr messages[SLICE];
    unsigned int sent = 0;
    while (sent < count) {
        unsigned int slice = count - sent < SLICE ? count - sent : SLICE;
        memset(messages, 0, sizeof(struct mmsghdr) * slice);
        for (unsigned int index = 0; index < slice; index++) {
            messages[index].msg_hdr.msg_name = (void *)to;
            messages[index].msg_hdr.msg_namelen = to_length;
            messages[index].msg_hdr.msg_iov = (struct iovec *)&datagrams[sent + index];
            messages[index].msg_hdr.msg_iovlen = 1;
        }
        int result;
        do {
            result = sendmmsg(fd, messages, slice, MSG_DONTWAIT);
        } while (result < 0 && errno == EINTR);
        if (result < 0) return sent > 0 ? (int)sent : -errno;
        sent += (unsigned int)result;
        if ((unsigned int)result < slice) break;
    }
    return (int)sent;
}

int cudp_send_grouped(int fd, const struct sockaddr *to, socklen_t to_length, const struct iovec *datagrams,
                      unsigned int count) {
    struct mmsghdr messages[SLICE];
    char control[SLICE][CMSG_SPACE(sizeof(uint16_t))];
    unsigned int firsts[SLICE + 1];
    unsigned int sent = 0;
    while (sent < count) {
        unsigned int groups = 0;
        unsigned int index = sent;
        while (index < count && groups < SLICE) {
            // A group: datagrams of one size, the last of which may be shorter.
            size_t size = datagrams[index].iov_len;
            size_t total = size;
            unsigned int end = index + 1;
            while (end < count && end - index < CUDP_MAX_SEGMENTS && datagrams[end].iov_len <= size &&
                   total + datagrams[end].iov_len <= CUDP_MAX_SEGMENTED_BYTES) {
                total += datagrams[end].iov_len;
                end += 1;
                if (datagrams[end - 1].iov_len < size) break;
            }
            // Only the messages used are cleared: the outbox flushes a few per call.
            memset(&messages[groups], 0, sizeof(messages[groups]));
            struct msghdr *header = &messages[groups].msg_hdr;
            header->msg_name = (void *)to;
            header->msg_namelen = to_length;
            header->msg_iov = (struct iovec *)&datagrams[index];
            header->msg_iovlen = end - index;
            if (end - index > 1) set_segment_size(header, control[groups], (uint16_t)size);
            firsts[groups] = index;
            groups += 1;
            index = end;
        }
        firsts[groups] = index;
        int result;
        do {
            result = sendmmsg(fd, messages, groups, MSG_DONTWAIT);
        } while (result < 0 && errno == EINTR);
        if (result < 0) return sent > 0 ? (int)sent : -errno;
        sent = firsts[result];
        if ((unsigned int)result < groups) break;
    }
    return (int)sent;
}

ssize_t cudp_send_segments(int fd, const struct sockaddr *to, socklen_t to_length, const void *bytes, size_t length,
                           uint16_t segment_size) {
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = length};
    char control[CMSG_SPACE(sizeof(uint16_t))];
    struct msghdr message = {
        .msg_name = (void *)to,
        .msg_namelen = to_length,
        .msg_iov = &vector,
        .msg_iovlen = 1,
    };
    set_segment_size(&message, control, segment_size);
    ssize_t result;
    do {
        result = sendmsg(fd, &message, MSG_DONTWAIT);
    } while (result < 0 && errno == EINTR);
    return result < 0 ? -errno : result;
}

ssize_t cudp_send(int fd, const struct sockaddr *to, socklen_t to_length, const void *bytes, size_t length) {
    ssize_t result;
    do {
        result = sendto(fd, bytes, length, MSG_DONTWAIT, to, to_length);
    } while (result < 0 && errno == EINTR);
    return result < 0 ? -errno : result;
}

int cudp_set_buffer_sizes(int fd, int size) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0) return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) != 0) return -errno;
    return 0;
}

int64_t cudp_last_receive_time(int fd) {
    struct timespec stamp;
    if (ioctl(fd, SIOCGSTAMPNS, &stamp) != 0) return -errno;
    return (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
}

struct cudp_destination cudp_ipv4_destination(const char *address, uint16_t port) {
    struct cudp_destination destination;
    memset(&destination, 0, sizeof(destination));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&destination.storage;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) destination.length = sizeof(struct sockaddr_in);
    return destination;
}

// The reuseport group's program: the packet starts at the UDP payload; the return value
// is the index of a socket in the group, in the order they joined (0: the shared socket,
// 1: the RTP socket). A load past the end returns 0. Every datagram whose first byte is
// 128-191 (RTP, RTCP) goes to the RTP socket. With `from`, so do STUN binding requests
// (RFC 8489 §5: type 0x0001, the magic cookie) from `from` alone: the selected pair's
// consent checks, which the server answers itself (ICE's BindingResponder). The source
// is read from the network header (SKF_NET_OFF); an IPv4 header with options, or an IPv6
// one with extension headers, goes to libnice. Returns the program's length, 0 for an
// address family it cannot match.
static unsigned short steering_program(struct sock_filter code[32], const struct sockaddr *from,
                                       socklen_t from_length) {
    unsigned int count = 0, fails[16], fail_count = 0;
#define EMIT(instruction) (code[count++] = (struct sock_filter)instruction)
#define EMIT_FAIL_UNLESS_EQUAL(value) (fails[fail_count++] = count, EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 0)))
    EMIT(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0));          // A = first byte
    EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 128, 0, 2));  // < 128: STUN, DTLS, TURN → below
    unsigned int not_media = count;                        // >= 192: not RTP/RTCP → 0
    EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 192, 0, 0));
    EMIT(BPF_STMT(BPF_RET | BPF_K, 1));                    // 128-191: RTP and RTCP → 1
    if (from != NULL) {
        EMIT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0));
        EMIT_FAIL_UNLESS_EQUAL(0x0001);
        EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4));
        EMIT_FAIL_UNLESS_EQUAL(0x2112A442);
        if (from->sa_family == AF_INET && from_length >= (socklen_t)sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *v4 = (const struct sockaddr_in *)from;
            EMIT(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 0));
            EMIT_FAIL_UNLESS_EQUAL(0x45);  // version 4, a 20-byte header
            EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12));
            EMIT_FAIL_UNLESS_EQUAL(ntohl(v4->sin_addr.s_addr));
            EMIT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_NET_OFF + 20));
            EMIT_FAIL_UNLESS_EQUAL(ntohs(v4->sin_port));
        } else if (from->sa_family == AF_INET6 && from_length >= (socklen_t)sizeof(struct sockaddr_in6)) {
            const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)from;
            EMIT(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 6));
            EMIT_FAIL_UNLESS_EQUAL(IPPROTO_UDP);  // no extension headers
            for (int word = 0; word < 4; word++) {
                uint32_t part;
                memcpy(&part, &v6->sin6_addr.s6_addr[word * 4], sizeof(part));
                EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8 + word * 4));
                EMIT_FAIL_UNLESS_EQUAL(ntohl(part));
            }
            EMIT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_NET_OFF + 40));
            EMIT_FAIL_UNLESS_EQUAL(ntohs(v6->sin6_port));
        } else {
            return 0;
        }
        EMIT(BPF_STMT(BPF_RET | BPF_K, 1));
    }
    unsigned int last = count;
    EMIT(BPF_STMT(BPF_RET | BPF_K, 0));
#undef EMIT
#undef EMIT_FAIL_UNLESS_EQUAL
    code[not_media].jt = (uint8_t)(last - not_media - 1);
    for (unsigned int index = 0; index < fail_count; index++) {
        code[fails[index]].jf = (uint8_t)(last - fails[index] - 1);
    }
    return (unsigned short)count;
}

static int attach_steering(int fd, const struct sockaddr *from, socklen_t from_length) {
    struct sock_filter code[32];
    struct sock_fprog program = {.len = steering_program(code, from, from_length), .filter = code};
    if (program.len == 0) return -EAFNOSUPPORT;
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof(program)) != 0 ? -errno : 0;
}

int cudp_open_rtp_socket(int shared_fd, int buffer_size) {
    struct sockaddr_storage local;
    socklen_t local_length = sizeof(local);
    if (getsockname(shared_fd, (struct sockaddr *)&local, &local_length) != 0) return -errno;
    int one = 1;
    if (setsockopt(shared_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) return -errno;
    int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    // attach_steering fails only in setsockopt here (no address to match), errno set.
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0 ||
        cudp_set_buffer_sizes(fd, buffer_size) != 0 || bind(fd, (struct sockaddr *)&local, local_length) != 0 ||
        attach_steering(fd, NULL, 0) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    // Datagrams that arrive together come up as one message (kernels before 5.0 refuse
    // the option, and every datagram comes alone).
    (void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
    return fd;
}

int cudp_steer_binding_requests(int fd, const struct sockaddr *from, socklen_t from_length) {
    return attach_steering(fd, from, from_length);
}

int cudp_steer_media_only(int fd) { return attach_steering(fd, NULL, 0); }

static int same_address(const struct sockaddr_storage *a, socklen_t a_length, const struct sockaddr *b,
                        socklen_t b_length) {
    if (a->ss_family != b->sa_family) return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return a_length == b_length && memcmp(a, b, a_length) == 0;
}

enum { RECEIVE_SLICE = 64 };

int cudp_receive_batch(int fd, const struct sockaddr *from, socklen_t from_length, uint8_t *buffers, size_t stride,
                       size_t capacity, struct cudp_received *received, unsigned int count) {
    if (count > RECEIVE_SLICE) count = RECEIVE_SLICE;
    struct mmsghdr messages[RECEIVE_SLICE];
    struct iovec vectors[RECEIVE_SLICE];
    struct sockaddr_storage sources[RECEIVE_SLICE];
    char control[RECEIVE_SLICE][CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int))];
    for (unsigned int index = 0; index < count; index++) {
        vectors[index] = (struct iovec){.iov_base = buffers + index * stride, .iov_len = capacity};
        messages[index].msg_hdr = (struct msghdr){
            .msg_name = &sources[index],
            .msg_namelen = sizeof(sources[index]),
            .msg_iov = &vectors[index],
            .msg_iovlen = 1,
            .msg_control = control[index],
            .msg_controllen = sizeof(control[index]),
        };
    }
    int taken = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
    if (taken < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int index = 0; index < taken; index++) {
        struct msghdr *header = &messages[index].msg_hdr;
        int expected = same_address(&sources[index], header->msg_namelen, from, from_length);
        received[index].length = (expected && !(header->msg_flags & MSG_TRUNC)) ? messages[index].msg_len : 0;
        received[index].segment_size = 0;
        received[index].time = 0;
        for (struct cmsghdr *message = CMSG_FIRSTHDR(header); message; message = CMSG_NXTHDR(header, message)) {
            if (message->cmsg_level == SOL_SOCKET && message->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec stamp;
                memcpy(&stamp, CMSG_DATA(message), sizeof(stamp));
                received[index].time = (uint64_t)stamp.tv_sec * 1000000000ull + (uint64_t)stamp.tv_nsec;
            } else if (message->cmsg_level == SOL_UDP && message->cmsg_type == UDP_GRO) {
                int size;
                memcpy(&size, CMSG_DATA(message), sizeof(size));
                if (size > 0 && (uint32_t)size < received[index].length) received[index].segment_size = (uint32_t)size;
            }
        }
    }
    return taken;
}
