// Members of rooms of 4 for forwarder.c: each publishes 30 frames a second of 4
// datagrams of 1,200 bytes (one UDP GSO send, as the load generator sends a frame) and
// 50 audio datagrams of 120 bytes, at its own phase, all of it on a 5 ms tick (as the
// load generator's pacing timer sends), and drains what the forwarder sends
// it on port 33000 + member. Counts the datagrams it receives and prints the count a
// second on stdout.
//
//   peers LOCAL_ADDRESS SERVER_ADDRESS MEMBERS
#include "experiment.h"

enum { FRAME_DATAGRAMS = 4, VIDEO_BYTES = 1200, AUDIO_BYTES = 120 };
static const long long FRAME_NS = 1000000000LL / 30, AUDIO_NS = 20000000LL, TICK_NS = 5000000LL;

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int members = atoi(argv[3]);
    int *publish = calloc(members, sizeof(int));
    long long *next_frame = calloc(members, sizeof(long long)), *next_audio = calloc(members, sizeof(long long));
    int poller = epoll_create1(0);
    long long start = now_nanoseconds();
    for (int member = 0; member < members; member++) {
        publish[member] = connected_socket(argv[1], argv[2], 31000 + member);
        int sink = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1, buffer = 4 << 20;
        struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(33000 + member)};
        inet_pton(AF_INET, argv[1], &at.sin_addr);
        setsockopt(sink, SOL_UDP, UDP_GRO, &one, sizeof(one));
        setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
        if (bind(sink, (struct sockaddr *)&at, sizeof(at)) != 0) return 1;
        struct epoll_event event = {.events = EPOLLIN, .data.fd = sink};
        epoll_ctl(poller, EPOLL_CTL_ADD, sink, &event);
        next_frame[member] = start + FRAME_NS * member / members;
        next_audio[member] = start + AUDIO_NS * ((member * 7919LL) % members) / members;
    }
    static char frame[FRAME_DATAGRAMS * VIDEO_BYTES], buffer[65536];
    char control[CMSG_SPACE(sizeof(uint16_t))] = {0};
    struct iovec vector = {.iov_base = frame, .iov_len = sizeof(frame)};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    *(uint16_t *)CMSG_DATA(header) = VIDEO_BYTES;
    long long received = 0, next_print = start + 1000000000LL;
    struct epoll_event events[256];
    for (;;) {
        long long now = now_nanoseconds(), soonest = now + 1000000000LL;
        for (int member = 0; member < members; member++) {
            if (next_frame[member] <= now) {
                sendmsg(publish[member], &message, MSG_DONTWAIT);
                next_frame[member] += FRAME_NS;
            }
            if (next_audio[member] <= now) {
                send(publish[member], frame, AUDIO_BYTES, MSG_DONTWAIT);
                next_audio[member] += AUDIO_NS;
            }
            if (next_frame[member] < soonest) soonest = next_frame[member];
            if (next_audio[member] < soonest) soonest = next_audio[member];
        }
        if (now >= next_print) {
            printf("%lld\n", received);
            fflush(stdout);
            next_print += 1000000000LL;
        }
        // Media goes out on a 5 ms tick, as the load generator's pacing timer sends it.
        soonest = (soonest + TICK_NS - 1) / TICK_NS * TICK_NS;
        int wait = (int)((soonest - now_nanoseconds() + 999999) / 1000000);
        int ready = epoll_wait(poller, events, 256, wait > 0 ? wait : 0);
        for (int index = 0; index < ready; index++) {
            int descriptor = events[index].data.fd;
            char controls[CMSG_SPACE(sizeof(int))];
            for (;;) {
                struct iovec into = {.iov_base = buffer, .iov_len = sizeof(buffer)};
                struct msghdr got = {.msg_iov = &into, .msg_iovlen = 1, .msg_control = controls, .msg_controllen = sizeof(controls)};
                ssize_t length = recvmsg(descriptor, &got, MSG_DONTWAIT);
                if (length <= 0) break;
                int segment = 0;
                for (struct cmsghdr *at = CMSG_FIRSTHDR(&got); at; at = CMSG_NXTHDR(&got, at))
                    if (at->cmsg_level == SOL_UDP && at->cmsg_type == UDP_GRO) memcpy(&segment, CMSG_DATA(at), sizeof(int));
                received += segment > 0 ? (length + segment - 1) / segment : 1;
            }
        }
    }
}
