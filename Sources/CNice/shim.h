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

#endif
