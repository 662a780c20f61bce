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
#endif
