// The least a server can do for idle peers: `n` UDP sockets on consecutive ports from
// 30000, each datagram read, and the ones the size of a consent check (STUN) answered
// with a datagram of the same size. What the kernel and the core cost for that is the
// floor under any server's cost per idle peer.
//
//   server ADDRESS N MODE      MODE: grid (wait for the next 50 ms step, then read what
//                              is ready, as SwiftSFU's quiet worker does) or wake (read
//                              each datagram as it arrives, epoll_wait without timeout)
#include "experiment.h"

enum { CHECK_BYTES = 100, STEP_NANOSECONDS = 50000000 };

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int n = atoi(argv[2]);
    int grid = strcmp(argv[3], "grid") == 0;
    int poller = epoll_create1(0);
    for (int index = 0; index < n; index++) {
        int descriptor = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(30000 + index)};
        inet_pton(AF_INET, argv[1], &local.sin_addr);
        if (bind(descriptor, (struct sockaddr *)&local, sizeof(local)) != 0) return 1;
        struct epoll_event event = {.events = EPOLLIN, .data.fd = descriptor};
        epoll_ctl(poller, EPOLL_CTL_ADD, descriptor, &event);
    }
    static char buffers[8][1500];
    struct sockaddr_in sources[8];
    struct iovec vectors[8];
    struct mmsghdr messages[8];
    struct epoll_event events[1024];
    for (;;) {
        if (grid) {
            long long next = now_nanoseconds() / STEP_NANOSECONDS * STEP_NANOSECONDS + STEP_NANOSECONDS;
            struct timespec until = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        }
        int ready = epoll_wait(poller, events, 1024, grid ? 0 : -1);
        for (int index = 0; index < ready; index++) {
            int descriptor = events[index].data.fd;
            for (int slot = 0; slot < 8; slot++) {
                vectors[slot] = (struct iovec){.iov_base = buffers[slot], .iov_len = sizeof(buffers[slot])};
                messages[slot].msg_hdr = (struct msghdr){.msg_name = &sources[slot], .msg_namelen = sizeof(sources[slot]),
                                                         .msg_iov = &vectors[slot], .msg_iovlen = 1};
            }
            int count = recvmmsg(descriptor, messages, 8, MSG_DONTWAIT, NULL);
            for (int slot = 0; slot < count; slot++) {
                if (messages[slot].msg_len == CHECK_BYTES)
                    sendto(descriptor, buffers[slot], CHECK_BYTES, MSG_DONTWAIT, (struct sockaddr *)&sources[slot],
                           messages[slot].msg_hdr.msg_namelen);
            }
        }
    }
}
