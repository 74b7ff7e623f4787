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
 * The start runs on a libuv pool thread (napi_async_work): a vfork's parent waits until the child
 * has exec'd, which takes ~0.2 ms on a quiet host, ~1 ms with both cores busy and ~16 ms or more
 * under the test VM's emulation; the event loop (a VRRP worker's adverts, the checkers' verdicts)
 * no longer waits with it. The program is found there too, as execvp finds it (child_process's
 * way): a bare name in the PATH of the environment given, a file without `#!` run by /bin/sh; no
 * look at the file system on the loop's thread. The pipes are made before, on the loop's thread,
 * so their reading ends are returned at once.
 *
 * The exit is watched through a pidfd (pidfd_open, Linux 5.3) polled by libuv and reaped with
 * waitid(P_PIDFD): libuv reaps only the pids it spawned itself, so nothing else takes this status.
 *
 * spawnScript(file, argv[], env[], capture, onStarted(errno, pid), onExit(code|null, signal|null))
 *   -> { stdout, stderr } (file descriptors of the pipes' reading ends, -1 without capture); throws
 *   with the errno's name as `code` when the pipes cannot be made. onStarted comes in a later turn
 *   of the event loop: errno 0 = started as `pid`; > 0 = not started (ENOENT, EACCES, ...); -1 =
 *   started, but its exit cannot be watched (it was killed and reaped: not to be started again).
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

/* The environment ends (a worker thread that started the script ends) while the script runs: the
 * watch closes with it, or Node would find the poll handle open at the loop's close and abort the
 * whole process. The run goes on, unwatched, like any detached child of a process. */
static void watch_cleanup(void *arg) {
  watch_t *w = arg;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
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
  napi_remove_env_cleanup_hook(env, watch_cleanup, w);
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

/* One start: made on the loop's thread, run on a libuv pool thread, ended on the loop's thread. */
typedef struct {
  napi_async_work work;
  napi_ref on_started, on_exit;
  char file[4096];
  char **argv, **envp;
  bool capture;
  int out_w, err_w; /* the pipes' writing ends (the child's stdout/stderr), -1 without capture */
  pid_t pid;
  int pidfd;
  int err; /* 0, or the errno that kept the program from starting */
} start_t;

/* posix_spawn of `path`; a file exec refuses as not a program (no `#!`, not ELF) runs through /bin/sh,
 * as execvp and so child_process do. */
static int spawn_path(start_t *j, const char *path, const posix_spawn_file_actions_t *fa,
                      const posix_spawnattr_t *attr) {
  int e = posix_spawn(&j->pid, path, fa, attr, j->argv, j->envp);
  if (e != ENOEXEC) return e;
  size_t n = 0;
  while (j->argv[n]) n++;
  char **sh = malloc((n + 2) * sizeof(char *));
  if (!sh) return ENOMEM;
  sh[0] = "/bin/sh";
  sh[1] = (char *)path;
  for (size_t i = 1; i <= n; i++) sh[i + 1] = j->argv[i]; /* argv[n] is the NULL */
  e = posix_spawn(&j->pid, "/bin/sh", fa, attr, sh, j->envp);
  free(sh);
  return e;
}

/* The program found as execvp would find it, in the PATH of the environment given (child_process
 * looks in the child's PATH, not the daemon's): each directory in turn, EACCES remembered. */
static int spawn_found(start_t *j, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr) {
  if (strchr(j->file, '/')) return spawn_path(j, j->file, fa, attr);
  const char *path = "/usr/bin:/bin";
  for (char **e = j->envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  size_t flen = strlen(j->file);
  int seen_eacces = 0;
  for (const char *dir = path;; dir = strchr(dir, ':') + 1) {
    const char *end = strchr(dir, ':');
    size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
    char full[4096];
    if (dlen + 1 + flen < sizeof full) {
      if (dlen == 0) snprintf(full, sizeof full, "%s", j->file); /* an empty entry: the working directory */
      else snprintf(full, sizeof full, "%.*s/%s", (int)dlen, dir, j->file);
      int e = spawn_path(j, full, fa, attr);
      if (e == 0) return 0;
      if (e == EACCES) seen_eacces = 1;
      else if (e != ENOENT && e != ENOTDIR) return e;
    }
    if (!end) break;
  }
  return seen_eacces ? EACCES : ENOENT;
}

/* On a pool thread: find the program and posix_spawn it (the pool thread waits for the exec, not
 * the event loop), then a pidfd for the exit. No N-API call here. */
static void start_execute(napi_env env, void *data) {
  (void)env;
  start_t *j = data;
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
  if (j->capture) {
    posix_spawn_file_actions_adddup2(&fa, j->out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, j->err_w, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  /* A descriptor held for the pidfd, so that a process short of descriptors fails before the
   * script starts, not after (EMFILE); given back just before pidfd_open. */
  int spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int e = spare < 0 ? errno : 0;
  if (!e) e = spawn_found(j, &fa, &attr);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (j->out_w >= 0) close(j->out_w);
  if (j->err_w >= 0) close(j->err_w);
  j->out_w = j->err_w = -1;
  if (spare >= 0) close(spare);
  j->err = e;
  if (e) j->pid = 0;
  else {
    j->pidfd = pidfd_open_sys(j->pid);
    if (j->pidfd < 0) j->err = -errno; /* started, not watchable: see start_complete */
  }
}

static void start_free(napi_env env, start_t *j) {
  if (j->on_started) napi_delete_reference(env, j->on_started);
  if (j->on_exit) napi_delete_reference(env, j->on_exit);
  if (j->work) napi_delete_async_work(env, j->work);
  if (j->out_w >= 0) close(j->out_w);
  if (j->err_w >= 0) close(j->err_w);
  free(j->argv);
  free(j->envp);
  free(j);
}

/* On the loop's thread: watch the exit, then tell onStarted(errno, pid): 0 = started (pid), an errno
 * > 0 = not started, -1 = started but its exit cannot be watched (killed and reaped at once: the
 * caller must not start it again). */
static void start_complete(napi_env env, napi_status status, void *data) {
  start_t *j = data;
  int result = j->err > 0 ? j->err : 0;
  if (j->err <= 0 && j->pid > 0) {
    watch_t *w = calloc(1, sizeof *w);
    uv_loop_t *loop = NULL;
    napi_value name;
    int ok = status == napi_ok && j->err == 0 && w && napi_get_uv_event_loop(env, &loop) == napi_ok &&
             napi_create_string_utf8(env, "lvsd_script", NAPI_AUTO_LENGTH, &name) == napi_ok &&
             napi_async_init(env, NULL, name, &w->actx) == napi_ok;
    int polled = ok && uv_poll_init(loop, &w->poll, j->pidfd) == 0;
    if (polled) {
      w->pidfd = j->pidfd;
      w->env = env;
      w->cb = j->on_exit; /* the exit callback's reference passes to the watch */
      w->poll.data = w;
      ok = uv_poll_start(&w->poll, UV_READABLE, on_exit_ready) == 0 &&
           napi_add_env_cleanup_hook(env, watch_cleanup, w) == napi_ok;
      j->on_exit = NULL;
    }
    if (!ok || !polled) {
      kill(-j->pid, SIGKILL);
      waitpid(j->pid, NULL, 0);
      result = -1;
      if (polled) {
        if (w->cb) napi_delete_reference(env, w->cb);
        napi_async_destroy(env, w->actx);
        uv_close((uv_handle_t *)&w->poll, watch_closed); /* closes the pidfd, frees w */
      } else {
        if (w && w->actx) napi_async_destroy(env, w->actx);
        if (j->pidfd >= 0) close(j->pidfd);
        free(w);
      }
    }
  }
  napi_value cb, global, argv[2], ret;
  if (status == napi_ok && napi_get_reference_value(env, j->on_started, &cb) == napi_ok && cb &&
      napi_get_global(env, &global) == napi_ok) {
    argv[0] = make_int(env, result);
    argv[1] = make_int(env, j->pid > 0 ? j->pid : 0);
    napi_call_function(env, global, cb, 2, argv, &ret);
  }
  start_free(env, j);
}

static napi_value spawn_script(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 6) return throw_arg(env, "spawnScript(file, argv, env, capture, onStarted, onExit)");
  start_t *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "spawn");
  j->out_w = j->err_w = j->pidfd = -1;
  if (!get_path(env, args[0], j->file, sizeof j->file)) {
    free(j);
    return throw_arg(env, "spawnScript: bad file");
  }
  napi_get_value_bool(env, args[3], &j->capture);
  j->argv = string_vector(env, args[1]);
  j->envp = string_vector(env, args[2]);
  if (!j->argv || !j->envp || !j->argv[0]) {
    start_free(env, j);
    return throw_arg(env, "spawnScript: bad argv or env");
  }
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (j->capture && (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (out[i] >= 0) close(out[i]);
      if (err[i] >= 0) close(err[i]);
    }
    start_free(env, j);
    return throw_errno(env, e, "spawn");
  }
  j->out_w = out[1];
  j->err_w = err[1];
  napi_value name, res;
  int ok = napi_create_reference(env, args[4], 1, &j->on_started) == napi_ok &&
           napi_create_reference(env, args[5], 1, &j->on_exit) == napi_ok &&
           napi_create_string_utf8(env, "lvsd_script_start", NAPI_AUTO_LENGTH, &name) == napi_ok &&
           napi_create_async_work(env, NULL, name, start_execute, start_complete, j, &j->work) == napi_ok &&
           napi_create_object(env, &res) == napi_ok &&
           napi_set_named_property(env, res, "stdout", make_int(env, out[0])) == napi_ok &&
           napi_set_named_property(env, res, "stderr", make_int(env, err[0])) == napi_ok &&
           napi_queue_async_work(env, j->work) == napi_ok;
  if (!ok) {
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
    start_free(env, j);
    return throw_arg(env, "spawnScript: N-API call failed");
  }
  /* the reading ends stay here: the caller reads them as soon as the child writes */
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
