// `n` idle peers, each on its own UDP socket talking to the server's port 30000 + its
// index: a 90-byte report every second and a 100-byte consent check every 5 s, each peer
// at its own phase, as SwiftSFU's load generator does with `--idle`. Answers are read
// and dropped.
//
//   peers LOCAL_ADDRESS SERVER_ADDRESS N
#include "experiment.h"

enum { REPORT_BYTES = 90, CHECK_BYTES = 100 };

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int n = atoi(argv[3]);
    int poller = epoll_create1(0);
    int *sockets = calloc(n, sizeof(int));
    long long *next_report = calloc(n, sizeof(long long)), *next_check = calloc(n, sizeof(long long));
    long long start = now_nanoseconds();
    for (int index = 0; index < n; index++) {
        sockets[index] = connected_socket(argv[1], argv[2], 30000 + index);
        struct epoll_event event = {.events = EPOLLIN, .data.fd = sockets[index]};
        epoll_ctl(poller, EPOLL_CTL_ADD, sockets[index], &event);
        next_report[index] = start + 1000000000LL * index / n;
        next_check[index] = start + 5000000000LL * ((index * 7919LL) % n) / n;
    }
    static char buffer[1500];
    struct epoll_event events[256];
    for (;;) {
        long long now = now_nanoseconds(), soonest = now + 1000000000LL;
        for (int index = 0; index < n; index++) {
            if (next_report[index] <= now) {
                send(sockets[index], buffer, REPORT_BYTES, MSG_DONTWAIT);
                next_report[index] += 1000000000LL;
            }
            if (next_check[index] <= now) {
                send(sockets[index], buffer, CHECK_BYTES, MSG_DONTWAIT);
                next_check[index] += 5000000000LL;
            }
            if (next_report[index] < soonest) soonest = next_report[index];
            if (next_check[index] < soonest) soonest = next_check[index];
        }
        int wait = (int)((soonest - now_nanoseconds()) / 1000000);
        int ready = epoll_wait(poller, events, 256, wait > 0 ? wait : 0);
        for (int index = 0; index < ready; index++)
            while (recv(events[index].data.fd, buffer, sizeof(buffer), 0) > 0) {}
    }
}
