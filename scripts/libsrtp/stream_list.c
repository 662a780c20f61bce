/*
 * The stream list of each libsrtp2 session, as SwiftSFU builds libsrtp2
 * (scripts/build-libsrtp.sh compiles this file into the library with
 * SRTP_NO_STREAM_LIST defined, the override point stream_list_priv.h documents).
 *
 * libsrtp 2.5's own list links the streams through fields at the end of each
 * stream's context, so finding a stream by SSRC touches two cache lines of every
 * stream before it. A subscriber's session protects for every SSRC it receives (a
 * member of a room of 7 gets 6 feeds, 12 to 18 SSRCs), once per packet: the walk
 * was the forwarding path's largest single function in a profile of rooms of 4.
 * Here the SSRCs sit in one array of their own, beside an array of the streams in
 * the same order: a lookup reads one or two cache lines.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "alloc.h"
#include "srtp_priv.h"
#include "stream_list_priv.h"

/* Streams a list holds in itself: a subscriber's of up to 4 feeds (audio, video),
 * or of 2 with retransmissions. */
#define FIRST_CAPACITY 8

struct srtp_stream_list_ctx_t_ {
    size_t count;
    size_t capacity;
    /* The SSRCs and, in the same order, the streams: the arrays below until more
     * streams come, then one allocation of `capacity` of each. */
    uint32_t *ssrcs;
    srtp_stream_t *streams;
    /* Here, the SSRCs share the cache line of the count and the pointers above. */
    uint32_t first_ssrcs[FIRST_CAPACITY];
    srtp_stream_t first_streams[FIRST_CAPACITY];
};

srtp_err_status_t srtp_stream_list_alloc(srtp_stream_list_t *list_ptr)
{
    srtp_stream_list_t list = srtp_crypto_alloc(sizeof(*list));
    if (list == NULL) {
        return srtp_err_status_alloc_fail;
    }
    list->count = 0;
    list->capacity = FIRST_CAPACITY;
    list->ssrcs = list->first_ssrcs;
    list->streams = list->first_streams;
    *list_ptr = list;
    return srtp_err_status_ok;
}

static int is_inline(srtp_stream_list_t list)
{
    return list->ssrcs == list->first_ssrcs;
}

srtp_err_status_t srtp_stream_list_dealloc(srtp_stream_list_t list)
{
    if (list->count > 0) {
        return srtp_err_status_fail;
    }
    if (!is_inline(list)) {
        srtp_crypto_free(list->streams);
    }
    srtp_crypto_free(list);
    return srtp_err_status_ok;
}

static srtp_err_status_t grow(srtp_stream_list_t list)
{
    size_t capacity = list->capacity * 2;
    /* One allocation: the stream pointers first, for their alignment. */
    srtp_stream_t *streams =
        srtp_crypto_alloc(capacity * (sizeof(srtp_stream_t) + sizeof(uint32_t)));
    if (streams == NULL) {
        return srtp_err_status_alloc_fail;
    }
    uint32_t *ssrcs = (uint32_t *)(streams + capacity);
    memcpy(streams, list->streams, list->count * sizeof(srtp_stream_t));
    memcpy(ssrcs, list->ssrcs, list->count * sizeof(uint32_t));
    if (!is_inline(list)) {
        srtp_crypto_free(list->streams);
    }
    list->streams = streams;
    list->ssrcs = ssrcs;
    list->capacity = capacity;
    return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_insert(srtp_stream_list_t list,
                                          srtp_stream_t stream)
{
    if (list->count == list->capacity) {
        srtp_err_status_t status = grow(list);
        if (status != srtp_err_status_ok) {
            return status;
        }
    }
    list->streams[list->count] = stream;
    list->ssrcs[list->count] = stream->ssrc;
    list->count += 1;
    return srtp_err_status_ok;
}

srtp_stream_t srtp_stream_list_get(srtp_stream_list_t list, uint32_t ssrc)
{
    const uint32_t *ssrcs = list->ssrcs;
    for (size_t index = 0; index < list->count; index++) {
        if (ssrcs[index] == ssrc) {
            return list->streams[index];
        }
    }
    return NULL;
}

void srtp_stream_list_remove(srtp_stream_list_t list, srtp_stream_t stream)
{
    for (size_t index = 0; index < list->count; index++) {
        if (list->streams[index] != stream) {
            continue;
        }
        /* The last entry takes the removed one's place. */
        size_t last = list->count - 1;
        list->streams[index] = list->streams[last];
        list->ssrcs[index] = list->ssrcs[last];
        list->count = last;
        return;
    }
}

void srtp_stream_list_for_each(srtp_stream_list_t list,
                               int (*callback)(srtp_stream_t, void *),
                               void *data)
{
    /* From the end: the callback may remove the stream it is given, whose place
     * the last entry, already visited, then takes. */
    for (size_t index = list->count; index > 0; index--) {
        if (callback(list->streams[index - 1], data)) {
            break;
        }
    }
}
