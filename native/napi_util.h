// SPDX-License-Identifier: Apache-2.0
/*
 * Small N-API helpers shared by the addon's source files (lvsd_net.c, tcp_check_engine.c,
 * process_control.c, proc_events.c): errors thrown as JS Errors whose `code` is the errno name or
 * "EINVAL_ARG", argument readers, and a socket's poll handle resumed after a socket error.
 */
#ifndef LVSD_NAPI_UTIL_H
#define LVSD_NAPI_UTIL_H
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

static inline napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EUNKNOWN", msg);
  return NULL;
}

static inline napi_value throw_arg(napi_env env, const char *msg) {
  napi_throw_error(env, "EINVAL_ARG", msg);
  return NULL;
}

#define NAPI_OK(call)                                                        \
  do {                                                                       \
    if ((call) != napi_ok) return throw_arg(env, "N-API call failed: " #call); \
  } while (0)

static inline int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* A Buffer argument: pointer and length, or 0 when not a buffer. */
static inline int get_buf(napi_env env, napi_value v, void **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

/*
 * A path argument into `buf`: 0 when it is not a string, empty, fills the buffer (it may have been
 * truncated) or holds a NUL (it would name another file).
 */
static inline int get_path(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len = 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len > 0 && len < size - 1 &&
         strlen(buf) == len;
}

static inline int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_null || t == napi_undefined;
}

static inline napi_value make_int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

/* Registers the TCP check engine's functions on the addon's exports (tcp_check_engine.c). */
int tcp_engine_register(napi_env env, napi_value exports);

/* Registers the process-control functions (process_control.c). */
int process_control_register(napi_env env, napi_value exports);

/* Registers the process-event functions for vrrp_track_process (proc_events.c). */
int proc_events_register(napi_env env, napi_value exports);

/* Registers spawnScript and scriptSpawnSupported (script_spawn.c). */
int script_spawn_register(napi_env env, napi_value exports);

/*
 * A socket's poll handle after libuv reported an error on it. On POLLERR (a netlink receive queue
 * overrun sets the socket's error: ENOBUFS) libuv *stops* the handle and calls back with UV_EBADF;
 * left so, the socket is never read again. This takes the socket's pending error (SO_ERROR, which
 * also clears it, so POLLERR does not come straight back) and starts the handle again. Returns that
 * error (0 when none was pending), for the caller to report.
 */
static inline int poll_resume_after_error(uv_poll_t *h, int fd, uv_poll_cb cb) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = 0;
  /* an error queue (none of lvsd's sockets asks for one) also raises POLLERR until it is read:
   * empty it, bounded, so a resumed handle cannot spin */
  char scratch[256];
  for (int i = 0; i < 64; i++)
    if (recv(fd, scratch, sizeof scratch, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
  uv_poll_start(h, UV_READABLE, cb);
  return err;
}

#endif
