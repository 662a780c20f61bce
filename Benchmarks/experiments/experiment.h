// What every experiment's C program needs: the socket headers, the UDP GSO and GRO
// options (older headers lack them), a monotonic clock in nanoseconds and a connected
// UDP socket.
#ifndef EXPERIMENT_H
#define EXPERIMENT_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static inline long long now_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// A non-blocking UDP socket bound to `local` (any port) and connected to `remote`:`port`;
/// exits the program when either fails.
static inline int connected_socket(const char *local, const char *remote, int port) {
    int descriptor = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, local, &from.sin_addr);
    inet_pton(AF_INET, remote, &to.sin_addr);
    if (bind(descriptor, (struct sockaddr *)&from, sizeof(from)) != 0) exit(1);
    if (connect(descriptor, (struct sockaddr *)&to, sizeof(to)) != 0) exit(1);
    return descriptor;
}

#endif
