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

/// Full ICE, one UDP stream; UPnP off (it sends SSDP at creation otherwise).
static inline void cnice_agent_configure(NiceAgent *agent, gboolean controlling, guint idle_timeout_ms) {
    g_object_set(G_OBJECT(agent), "controlling-mode", controlling, "upnp", FALSE, "ice-tcp", FALSE,
                 "ice-udp", TRUE, "idle-timeout", idle_timeout_ms, NULL);
}

static inline gulong cnice_signal_connect(gpointer instance, const gchar *signal, GCallback callback, gpointer data) {
    return g_signal_connect_data(instance, signal, callback, data, NULL, (GConnectFlags)0);
}

static inline void cnice_signal_disconnect(gpointer instance, gulong handler) {
    g_signal_handler_disconnect(instance, handler);
}

static inline void cnice_object_unref(gpointer object) { g_object_unref(object); }

/// Adds one remote candidate given in SDP form; returns the number added (0 or 1).
static inline int cnice_add_remote_candidate(NiceAgent *agent, guint stream, const gchar *sdp) {
    NiceCandidate *candidate = nice_agent_parse_remote_candidate_sdp(agent, stream, sdp);
    if (candidate == NULL) return 0;
    GSList *list = g_slist_append(NULL, candidate);
    int added = nice_agent_set_remote_candidates(agent, stream, candidate->component_id, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    return added < 0 ? 0 : added;
}

/// The candidate in SDP attribute form ("a=candidate:…"); free with g_free.
static inline gchar *cnice_candidate_sdp(NiceAgent *agent, NiceCandidate *candidate) {
    return nice_agent_generate_local_candidate_sdp(agent, candidate);
}
#endif
