#ifndef SWIFTSFU_CNICE_SHIM_H
#define SWIFTSFU_CNICE_SHIM_H
#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/nice-version.h>

// Function-like macros and variadic GLib calls are not imported by Swift: thin wrappers.
static inline unsigned int cnice_version_major(void) { return NICE_VERSION_MAJOR; }
static inline unsigned int cnice_version_minor(void) { return NICE_VERSION_MINOR; }
static inline unsigned int cnice_version_micro(void) { return NICE_VERSION_MICRO; }

/// Full ICE; UPnP off (it sends SSDP at creation otherwise); ICE-TCP only when asked;
/// a STUN server (an IP address: libnice does not resolve names) when `stun_server` is set.
/// Keepalives are binding requests (every 4-6 s) that need a reply: without consent
/// freshness, libnice declares the pair failed 50 s after the last one answered.
static inline void cnice_agent_configure(NiceAgent *agent, gboolean controlling, gboolean ice_tcp,
                                         gboolean keepalive_conncheck, const gchar *stun_server,
                                         guint stun_port) {
    g_object_set(G_OBJECT(agent), "controlling-mode", controlling, "upnp", FALSE, "ice-tcp", ice_tcp,
                 "ice-udp", TRUE, "keepalive-conncheck", keepalive_conncheck, NULL);
    if (stun_server != NULL) {
        g_object_set(G_OBJECT(agent), "stun-server", stun_server, "stun-server-port", stun_port, NULL);
    }
}

/// Whether the agent was given the controlling role (its "controlling-mode").
static inline int cnice_agent_is_controlling(NiceAgent *agent) {
    gboolean controlling = FALSE;
    g_object_get(G_OBJECT(agent), "controlling-mode", &controlling, NULL);
    return controlling ? 1 : 0;
}

static inline gulong cnice_signal_connect(gpointer instance, const gchar *signal, GCallback callback, gpointer data) {
    return g_signal_connect_data(instance, signal, callback, data, NULL, (GConnectFlags)0);
}

static inline void cnice_signal_disconnect(gpointer instance, gulong handler) {
    g_signal_handler_disconnect(instance, handler);
}

static inline void cnice_object_unref(gpointer object) { g_object_unref(object); }

/// Calls `notify(data)` when `object` is finalized.
typedef void (*cnice_finalized)(void *data, void *object);
static inline void cnice_when_finalized(gpointer object, cnice_finalized notify, void *data) {
    g_object_weak_ref(G_OBJECT(object), (GWeakNotify)(void (*)(void))notify, data);
}

/// Adds one remote candidate given in SDP form; returns the number added (0 or 1).
static inline int cnice_add_remote_candidate(NiceAgent *agent, guint stream, const gchar *sdp) {
    NiceCandidate *candidate = nice_agent_parse_remote_candidate_sdp(agent, stream, sdp);
    if (candidate == NULL) return 0;
    GSList *list = g_slist_append(NULL, candidate);
    int added = nice_agent_set_remote_candidates(agent, stream, candidate->component_id, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    return added < 0 ? 0 : added;
}

/// Whether `sdp` parses as a candidate for `stream` (nothing is added).
static inline int cnice_candidate_parses(NiceAgent *agent, guint stream, const gchar *sdp) {
    NiceCandidate *candidate = nice_agent_parse_remote_candidate_sdp(agent, stream, sdp);
    if (candidate == NULL) return 0;
    nice_candidate_free(candidate);
    return 1;
}

/// The candidate in SDP attribute form ("a=candidate:…"); free with g_free.
static inline gchar *cnice_candidate_sdp(NiceAgent *agent, NiceCandidate *candidate) {
    return nice_agent_generate_local_candidate_sdp(agent, candidate);
}

/// The candidate in SDP form with its address replaced by `address` (same port): a host
/// candidate behind a 1:1 NAT, advertised with the public address. NULL if `address`
/// does not parse.
static inline gchar *cnice_candidate_sdp_with_address(NiceAgent *agent, NiceCandidate *candidate,
                                                      const gchar *address) {
    NiceCandidate *copy = nice_candidate_copy(candidate);
    guint port = nice_address_get_port(&copy->addr);
    gchar *sdp = NULL;
    if (nice_address_set_from_string(&copy->addr, address)) {
        nice_address_set_port(&copy->addr, port);
        copy->base_addr = copy->addr;  // a host candidate has no related address
        sdp = nice_agent_generate_local_candidate_sdp(agent, copy);
    }
    nice_candidate_free(copy);
    return sdp;
}

static inline int cnice_candidate_is_host(const NiceCandidate *candidate) {
    return candidate->type == NICE_CANDIDATE_TYPE_HOST;
}

/// The selected pair: whether the local side is plain UDP (not relayed, not TCP), the
/// remote address as a sockaddr, and both candidates' addresses as text. 0 if none.
static inline int cnice_selected_pair(NiceAgent *agent, guint stream, int *is_plain_udp,
                                      struct sockaddr_storage *remote, gchar local_text[64], guint *local_port,
                                      gchar remote_text[64], guint *remote_port) {
    NiceCandidate *local = NULL;
    NiceCandidate *peer = NULL;
    if (!nice_agent_get_selected_pair(agent, stream, 1, &local, &peer) || local == NULL || peer == NULL) return 0;
    *is_plain_udp = local->transport == NICE_CANDIDATE_TRANSPORT_UDP && local->type != NICE_CANDIDATE_TYPE_RELAYED;
    nice_address_copy_to_sockaddr(&peer->addr, (struct sockaddr *)remote);
    nice_address_to_string(&local->addr, local_text);
    *local_port = nice_address_get_port(&local->addr);
    nice_address_to_string(&peer->addr, remote_text);
    *remote_port = nice_address_get_port(&peer->addr);
    return 1;
}

static inline void cnice_candidate_list_free(GSList *list) {
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static inline int cnice_address_is_valid(const gchar *text) {
    NiceAddress address;
    nice_address_init(&address);
    return nice_address_set_from_string(&address, text);
}
/// A source whose only job is to call `hook(data)` each time the context prepares to
/// poll: after everything ready in an iteration was dispatched, before the thread waits.
typedef void (*cnice_prepare_hook)(void *data);
typedef struct {
    GSource source;
    cnice_prepare_hook hook;
    void *data;
} CNicePrepareSource;

static gboolean cnice_prepare_source_prepare(GSource *source, gint *timeout) {
    CNicePrepareSource *prepare = (CNicePrepareSource *)source;
    *timeout = -1;
    prepare->hook(prepare->data);
    return FALSE;
}

static gboolean cnice_prepare_source_dispatch(GSource *source, GSourceFunc callback, gpointer data) {
    (void)source;
    (void)callback;
    (void)data;
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs cnice_prepare_source_funcs = {cnice_prepare_source_prepare, NULL, cnice_prepare_source_dispatch,
                                                  NULL, NULL, NULL};

/// Attaches a prepare hook to `context`; returns the source (destroy it to remove).
static inline GSource *cnice_add_prepare_hook(GMainContext *context, cnice_prepare_hook hook, void *data) {
    GSource *source = g_source_new(&cnice_prepare_source_funcs, sizeof(CNicePrepareSource));
    ((CNicePrepareSource *)source)->hook = hook;
    ((CNicePrepareSource *)source)->data = data;
    g_source_attach(source, context);
    return source;
}

/// A source that calls `callback(data)` when `fd` is readable or when its deadline
/// passes: how a worker iterates its peers' own contexts (ContextMux.swift).
///
/// The deadline is a field the source's own prepare and check read, not GLib's ready
/// time: g_source_set_ready_time wakes the context's poll (a write to its eventfd and a
/// spurious turn of the loop) on every change, even from the thread that owns it. The
/// source may recurse, for the same reason: GLib blocks a non-recursive source while it
/// dispatches and unblocking it re-adds its descriptor with a wake-up, once per dispatch.
typedef void (*cnice_fd_callback)(void *data);
typedef struct {
    GSource source;
    cnice_fd_callback callback;
    void *data;
    gint64 deadline;  // g_get_monotonic_time microseconds; -1 for none
} CNiceFDSource;

static gboolean cnice_fd_source_prepare(GSource *source, gint *timeout) {
    gint64 deadline = ((CNiceFDSource *)source)->deadline;
    if (deadline < 0) {
        *timeout = -1;
        return FALSE;
    }
    gint64 now = g_source_get_time(source);
    if (now >= deadline) {
        *timeout = 0;
        return TRUE;
    }
    gint64 milliseconds = (deadline - now + 999) / 1000;
    *timeout = milliseconds > G_MAXINT ? G_MAXINT : (gint)milliseconds;
    return FALSE;
}

static gboolean cnice_fd_source_check(GSource *source) {
    gint64 deadline = ((CNiceFDSource *)source)->deadline;
    return deadline >= 0 && g_source_get_time(source) >= deadline;
}

static gboolean cnice_fd_source_dispatch(GSource *source, GSourceFunc callback, gpointer data) {
    (void)callback;
    (void)data;
    CNiceFDSource *fd_source = (CNiceFDSource *)source;
    fd_source->callback(fd_source->data);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs cnice_fd_source_funcs = {
    cnice_fd_source_prepare, cnice_fd_source_check, cnice_fd_source_dispatch, NULL, NULL, NULL};

/// Attaches an fd source to `context`; returns it (destroy it to remove).
static inline GSource *cnice_add_fd_source(GMainContext *context, int fd, cnice_fd_callback callback, void *data) {
    GSource *source = g_source_new(&cnice_fd_source_funcs, sizeof(CNiceFDSource));
    ((CNiceFDSource *)source)->callback = callback;
    ((CNiceFDSource *)source)->data = data;
    ((CNiceFDSource *)source)->deadline = -1;
    g_source_set_can_recurse(source, TRUE);
    g_source_add_unix_fd(source, fd, G_IO_IN);
    g_source_attach(source, context);
    return source;
}

/// The fd source's deadline (g_get_monotonic_time microseconds, -1 for none). Call it
/// on the thread that iterates the context: the poll in progress is not woken.
static inline void cnice_fd_source_set_deadline(GSource *source, gint64 deadline) {
    ((CNiceFDSource *)source)->deadline = deadline;
}

/// The fd source's deadline, -1 for none.
static inline gint64 cnice_fd_source_deadline(GSource *source) { return ((CNiceFDSource *)source)->deadline; }

#endif
