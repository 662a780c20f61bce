// The other end for send.c: `n` UDP sockets on consecutive ports from 20000, read as
// fast as the data comes (UDP GRO on, so that draining costs little).
//
//   drain ADDRESS N
#include "experiment.h"

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int n = atoi(argv[2]);
    int poller = epoll_create1(0);
    for (int index = 0; index < n; index++) {
        int descriptor = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(20000 + index)};
        inet_pton(AF_INET, argv[1], &local.sin_addr);
        int one = 1, buffer = 4 << 20;
        setsockopt(descriptor, SOL_UDP, UDP_GRO, &one, sizeof(one));
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
        if (bind(descriptor, (struct sockaddr *)&local, sizeof(local)) != 0) return 1;
        struct epoll_event event = {.events = EPOLLIN, .data.fd = descriptor};
        epoll_ctl(poller, EPOLL_CTL_ADD, descriptor, &event);
    }
    static char buffer[65536];
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(poller, events, 256, 1000);
        for (int index = 0; index < ready; index++) {
            while (recv(events[index].data.fd, buffer, sizeof(buffer), 0) > 0) {}
        }
    }
}
