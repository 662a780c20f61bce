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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
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
