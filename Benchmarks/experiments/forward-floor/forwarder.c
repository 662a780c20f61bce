// The least a server can do for rooms of 4 with a subscriber connection per member: a
// UDP socket per member to publish on (ports from 31000) and one to subscribe on (ports
// from 32000, each sending to its member's sink at port 33000 + member on the peers'
// address). What a member publishes goes, as it came, to the other three members of its
// room: datagrams that arrived together (UDP GRO) in one UDP GSO send, one alone with
// sendto. No SRTP, no rewriting, no state.
//
//   forwarder ADDRESS PEER_ADDRESS MEMBERS
#include "experiment.h"

enum { ROOM = 4, BATCH = 8, CAPACITY = 65536 };

static int open_socket(const char *address, int port) {
    int descriptor = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, address, &local.sin_addr);
    int one = 1, buffer = 4 << 20;
    setsockopt(descriptor, SOL_UDP, UDP_GRO, &one, sizeof(one));
    setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    if (bind(descriptor, (struct sockaddr *)&local, sizeof(local)) != 0) exit(1);
    return descriptor;
}

static void send_to(int descriptor, const struct sockaddr_in *to, char *bytes, int length, int segment) {
    struct iovec vector = {.iov_base = bytes, .iov_len = length};
    char control[CMSG_SPACE(sizeof(uint16_t))] = {0};
    struct msghdr message = {.msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &vector, .msg_iovlen = 1};
    if (segment > 0 && segment < length) {
        message.msg_control = control;
        message.msg_controllen = sizeof(control);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_UDP;
        header->cmsg_type = UDP_SEGMENT;
        header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        *(uint16_t *)CMSG_DATA(header) = (uint16_t)segment;
        sendmsg(descriptor, &message, MSG_DONTWAIT);
    } else {
        sendto(descriptor, bytes, length, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
    }
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int members = atoi(argv[3]);
    int *publish = calloc(members, sizeof(int)), *subscribe = calloc(members, sizeof(int));
    struct sockaddr_in *sinks = calloc(members, sizeof(struct sockaddr_in));
    int poller = epoll_create1(0);
    for (int member = 0; member < members; member++) {
        publish[member] = open_socket(argv[1], 31000 + member);
        subscribe[member] = open_socket(argv[1], 32000 + member);
        sinks[member] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(33000 + member)};
        inet_pton(AF_INET, argv[2], &sinks[member].sin_addr);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = member};
        epoll_ctl(poller, EPOLL_CTL_ADD, publish[member], &event);
    }
    static char buffers[BATCH][CAPACITY];
    static char controls[BATCH][CMSG_SPACE(sizeof(int))];
    struct iovec vectors[BATCH];
    struct mmsghdr messages[BATCH];
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(poller, events, 256, -1);
        for (int index = 0; index < ready; index++) {
            int member = events[index].data.u32;
            for (;;) {
                for (int slot = 0; slot < BATCH; slot++) {
                    vectors[slot] = (struct iovec){.iov_base = buffers[slot], .iov_len = CAPACITY};
                    messages[slot].msg_hdr = (struct msghdr){.msg_iov = &vectors[slot], .msg_iovlen = 1,
                                                             .msg_control = controls[slot],
                                                             .msg_controllen = sizeof(controls[slot])};
                }
                int count = recvmmsg(publish[member], messages, BATCH, MSG_DONTWAIT, NULL);
                if (count <= 0) break;
                for (int slot = 0; slot < count; slot++) {
                    int segment = 0;
                    for (struct cmsghdr *header = CMSG_FIRSTHDR(&messages[slot].msg_hdr); header;
                         header = CMSG_NXTHDR(&messages[slot].msg_hdr, header)) {
                        if (header->cmsg_level == SOL_UDP && header->cmsg_type == UDP_GRO)
                            memcpy(&segment, CMSG_DATA(header), sizeof(int));
                    }
                    int first = member / ROOM * ROOM;
                    for (int other = first; other < first + ROOM && other < members; other++) {
                        if (other != member)
                            send_to(subscribe[other], &sinks[other], buffers[slot], messages[slot].msg_len, segment);
                    }
                }
                if (count < BATCH) break;
            }
        }
    }
}
