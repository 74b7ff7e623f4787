// SPDX-License-Identifier: Apache-2.0
/*
 * A constant-cost start for user scripts (MISC_CHECK, notify, vrrp_script): posix_spawn, which glibc
 * runs as clone(CLONE_VM | CLONE_VFORK), instead of Node's child_process, which forks.
 *
 * Why: a fork copies the page tables of the whole daemon and the exec in the child tears the copy
 * down again, both on the event loop's thread (libuv waits for the exec): 1.3 ms a script for a
 * 93 MB worker on the host, ~16 ms under the test VM's emulation, where 8 MISC_CHECK reals took a
 * third of the LVS worker's CPU (bench/results/check-timing.md). keepalived forks a 3 MB process.
 * No npm library spawns without forking, and Node offers no vfork.
 *
 * What the child gets, as child_process.spawn with `detached: true` gives it: its own session and
 * process group (POSIX_SPAWN_SETSID), every signal at its default action and none blocked (Node
 * ignores SIGPIPE, libuv blocks some), stdin on /dev/null, stdout and stderr on /dev/null or on
 * pipes whose reading ends are returned, the environment given, the daemon's working directory.
 * Switching user is not done here (posix_spawn cannot): the caller uses child_process for that.
 *
 * The exit is watched through a pidfd (pidfd_open, Linux 5.3) polled by libuv and reaped with
 * waitid(P_PIDFD): libuv reaps only the pids it spawned itself, so nothing else takes this status.
 *
 * spawnScript(file, argv[], env[], capture, onExit(code|null, signal|null)) -> { pid, stdout, stderr }
 *   (stdout/stderr: file descriptors of the pipes' reading ends, -1 without capture); throws with
 *   the errno's name as `code` when the program cannot be started (ENOENT, EACCES, ...), and with
 *   EWATCH when it started but its exit cannot be watched (it is killed and reaped at once).
 * scriptSpawnSupported() -> whether pidfds work here.
 */
#include "napi_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

typedef struct {
  uv_poll_t poll;
  int pidfd;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} watch_t;

static int pidfd_open_sys(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static void watch_closed(uv_handle_t *h) {
  watch_t *w = h->data;
  close(w->pidfd);
  free(w);
}

static void on_exit_ready(uv_poll_t *h, int status, int events) {
  watch_t *w = h->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  do rc = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc == 0 && si.si_pid == 0 && status >= 0) return; /* not yet (a spurious wake) */
  uv_poll_stop(&w->poll);
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value cb, global, argv[2], result;
    napi_get_null(env, &argv[0]);
    napi_get_null(env, &argv[1]);
    if (rc == 0 && si.si_code == CLD_EXITED) argv[0] = make_int(env, si.si_status);
    else if (rc == 0) argv[1] = make_int(env, si.si_status); /* CLD_KILLED, CLD_DUMPED: the signal */
    if (napi_get_reference_value(env, w->cb, &cb) == napi_ok && cb && napi_get_global(env, &global) == napi_ok)
      napi_make_callback(env, w->actx, global, cb, 2, argv, &result);
    napi_close_handle_scope(env, scope);
  }
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->actx);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
}

/* A JS array of strings as a NULL-terminated vector (one allocation, freed with free()). */
static char **string_vector(napi_env env, napi_value arr) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, arr, &is) != napi_ok || !is || napi_get_array_length(env, arr, &n) != napi_ok)
    return NULL;
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    if (napi_get_element(env, arr, i, &v) != napi_ok ||
        napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok)
      return NULL;
    total += len + 1;
  }
  char **vec = malloc((n + 1) * sizeof(char *) + total);
  if (!vec) return NULL;
  char *p = (char *)(vec + n + 1);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    napi_get_element(env, arr, i, &v);
    napi_get_value_string_utf8(env, v, p, total, &len);
    if (strlen(p) != len) { /* a NUL inside would cut the word short: refused */
      free(vec);
      return NULL;
    }
    vec[i] = p;
    p += len + 1;
    total -= len + 1;
  }
  vec[n] = NULL;
  return vec;
}

static napi_value spawn_script(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 5) return throw_arg(env, "spawnScript(file, argv, env, capture, onExit)");
  char file[4096];
  if (!get_path(env, args[0], file, sizeof file)) return throw_arg(env, "spawnScript: bad file");
  bool capture = false;
  napi_get_value_bool(env, args[3], &capture);
  char **argv = string_vector(env, args[1]);
  char **envp = string_vector(env, args[2]);
  if (!argv || !envp || !argv[0]) {
    free(argv);
    free(envp);
    return throw_arg(env, "spawnScript: bad argv or env");
  }

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  int e = 0;
  if (capture) {
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) e = errno;
    if (!e) {
      posix_spawn_file_actions_adddup2(&fa, out[1], 1);
      posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    }
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  /* A descriptor held for the pidfd, so that a process short of descriptors fails before the
   * script starts, not after (EMFILE); given back just before pidfd_open. */
  int spare = e ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!e && spare < 0) e = errno;
  pid_t pid = -1;
  if (!e) e = posix_spawn(&pid, file, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(argv);
  free(envp);
  if (out[1] >= 0) close(out[1]);
  if (err[1] >= 0) close(err[1]);
  if (e) {
    if (spare >= 0) close(spare);
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
    return throw_errno(env, e, "spawn");
  }

  /* From here the child runs: its exit must be watched, whatever else fails; and once started it
   * is never reported as a failed start (the caller would start it again). Everything that can fail
   * comes before the watch starts, so that a failure can end and reap the run at once. */
  watch_t *w = calloc(1, sizeof *w);
  uv_loop_t *loop = NULL;
  napi_value name, res = NULL;
  close(spare);
  int pidfd = pidfd_open_sys(pid);
  int why = pidfd < 0 ? errno : EIO;
  int have_cb = 0, have_actx = 0, polled = 0;
  int ok = w && pidfd >= 0 && napi_get_uv_event_loop(env, &loop) == napi_ok &&
           (have_cb = napi_create_reference(env, args[4], 1, &w->cb) == napi_ok) &&
           napi_create_string_utf8(env, "lvsd_script", NAPI_AUTO_LENGTH, &name) == napi_ok &&
           (have_actx = napi_async_init(env, NULL, name, &w->actx) == napi_ok) &&
           napi_create_object(env, &res) == napi_ok &&
           napi_set_named_property(env, res, "pid", make_int(env, pid)) == napi_ok &&
           napi_set_named_property(env, res, "stdout", make_int(env, out[0])) == napi_ok &&
           napi_set_named_property(env, res, "stderr", make_int(env, err[0])) == napi_ok &&
           (polled = uv_poll_init(loop, &w->poll, pidfd) == 0);
  if (ok) {
    w->pidfd = pidfd;
    w->env = env;
    w->poll.data = w;
    ok = uv_poll_start(&w->poll, UV_READABLE, on_exit_ready) == 0;
  }
  if (!ok) {
    /* Cannot watch it: end it and reap it now rather than leave an unreaped run behind. The
     * error is EWATCH, not the errno: the script did start, so the caller must not start it again. */
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (have_cb) napi_delete_reference(env, w->cb);
    if (have_actx) napi_async_destroy(env, w->actx);
    if (polled) {
      uv_close((uv_handle_t *)&w->poll, watch_closed); /* closes the pidfd, frees w */
    } else {
      if (pidfd >= 0) close(pidfd);
      free(w);
    }
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
    char msg[160];
    snprintf(msg, sizeof msg, "cannot watch the script's exit (%s): killed", strerror(why));
    napi_throw_error(env, "EWATCH", msg);
    return NULL;
  }

  if (out[0] >= 0) fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  if (err[0] >= 0) fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
  return res;
}

static napi_value script_spawn_supported(napi_env env, napi_callback_info info) {
  int fd = pidfd_open_sys(getpid());
  bool ok = fd >= 0;
  if (ok) {
    siginfo_t si;
    ok = waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) == 0 || errno != EINVAL;
    close(fd);
  }
  napi_value v;
  napi_get_boolean(env, ok, &v);
  return v;
}

int script_spawn_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawnScript", NULL, spawn_script, NULL, NULL, NULL, napi_default, NULL},
      {"scriptSpawnSupported", NULL, script_spawn_supported, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
