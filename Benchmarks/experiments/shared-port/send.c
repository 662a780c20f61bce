// The send side of a shared UDP port, measured: `n` subscribers, each sent bursts of
// `k` equal datagrams as one UDP GSO message, either from a socket per subscriber (one
// sendmmsg each, what SwiftSFU does: libnice binds a port per agent) or from one socket
// for all of them (one sendmmsg carries every subscriber's message).
//
//   send DESTINATION N K SIZE SHARED SECONDS SOURCE
//
// Prints the process's CPU time (user and system, the softirq work its sends do on its
// core included) per datagram sent. See docs/decisions.md, "No shared port".
#include "experiment.h"

enum { MOST = 1024 };

static double seconds_now(void) { return now_nanoseconds() / 1e9; }

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: send DESTINATION N K SIZE SHARED SECONDS SOURCE\n");
        return 2;
    }
    int n = atoi(argv[2]), k = atoi(argv[3]), size = atoi(argv[4]), shared = atoi(argv[5]);
    double duration = atof(argv[6]);
    if (n < 1 || n > MOST || k < 1 || size < 1 || size * k > 65000) return 2;
    static int sockets[MOST];
    static struct sockaddr_in destinations[MOST];
    static struct mmsghdr messages[MOST];
    static struct iovec vectors[MOST];
    static char control[MOST][CMSG_SPACE(sizeof(uint16_t))];
    static char payload[65536];
    memset(payload, 0x80, sizeof(payload));
    int socket_count = shared ? 1 : n;
    for (int index = 0; index < socket_count; index++) {
        sockets[index] = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in local = {.sin_family = AF_INET};
        inet_pton(AF_INET, argv[7], &local.sin_addr);
        int buffer = 4 << 20;
        setsockopt(sockets[index], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
        if (sockets[index] < 0 || bind(sockets[index], (struct sockaddr *)&local, sizeof(local)) != 0) return 1;
    }
    for (int index = 0; index < n; index++) {
        destinations[index] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(20000 + index)};
        inet_pton(AF_INET, argv[1], &destinations[index].sin_addr);
        vectors[index] = (struct iovec){payload, (size_t)size * k};
        messages[index].msg_hdr = (struct msghdr){
            .msg_name = &destinations[index],
            .msg_namelen = sizeof(destinations[index]),
            .msg_iov = &vectors[index],
            .msg_iovlen = 1,
        };
        if (k > 1) {
            messages[index].msg_hdr.msg_control = control[index];
            messages[index].msg_hdr.msg_controllen = sizeof(control[index]);
            struct cmsghdr *segment = CMSG_FIRSTHDR(&messages[index].msg_hdr);
            segment->cmsg_level = SOL_UDP;
            segment->cmsg_type = UDP_SEGMENT;
            segment->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t segment_size = (uint16_t)size;
            memcpy(CMSG_DATA(segment), &segment_size, sizeof(segment_size));
        }
    }
    long sent = 0, calls = 0;
    double cpu = cpu_seconds(), start = seconds_now();
    while (seconds_now() - start < duration) {
        if (shared) {
            int done = 0;
            while (done < n) {
                int taken = sendmmsg(sockets[0], messages + done, n - done, 0);
                calls++;
                if (taken <= 0) break;
                done += taken;
            }
            sent += (long)done * k;
        } else {
            for (int index = 0; index < n; index++) {
                if (sendmmsg(sockets[index], &messages[index], 1, 0) == 1) sent += k;
                calls++;
            }
        }
    }
    double elapsed = seconds_now() - start;
    cpu = cpu_seconds() - cpu;
    printf("{\"shared\": %s, \"subscribers\": %d, \"segments\": %d, \"size\": %d, \"datagrams\": %ld, \"calls\": %ld, "
           "\"seconds\": %.2f, \"cpu_ns_per_datagram\": %.0f}\n",
           shared ? "true" : "false", n, k, size, sent, calls, elapsed, sent ? cpu * 1e9 / sent : 0.0);
    return 0;
}
