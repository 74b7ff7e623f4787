// SPDX-License-Identifier: Apache-2.0
/*
 * Process-level system calls Node does not offer, for the daemon's fail-safe and realtime setup:
 * flock(2) for the single-instance lock, prctl(PR_SET_PDEATHSIG) so a worker hears its
 * supervisor die, and the realtime knobs keepalived has (sched_setscheduler SCHED_RR, setpriority,
 * RLIMIT_RTTIME). Each is one call with its errno turned into a JS error. Not mlockall (keepalived's
 * *_no_swap): V8 returns heap pages with madvise, which fails on locked memory, and aborts
 * (src/config/keywords/global.ts says so to the operator). And malloc_trim(3): glibc gives back to
 * the kernel only the top of malloc's heap when memory is freed; the LVS worker's large transient
 * buffers (a model read, netlink dumps) leave free pages in the middle that only this returns.
 */
#include "napi_util.h"
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* flockExclusive(fd) -> true when locked, false when another open file holds the lock. */
static napi_value flock_exclusive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i32(env, argv[0], &fd) || fd < 0) return throw_arg(env, "flockExclusive: fd expected");
  int r;
  do r = flock(fd, LOCK_EX | LOCK_NB);
  while (r < 0 && errno == EINTR);
  napi_value out;
  if (r == 0) {
    napi_get_boolean(env, true, &out);
    return out;
  }
  if (errno == EWOULDBLOCK) {
    napi_get_boolean(env, false, &out);
    return out;
  }
  return throw_errno(env, errno, "flock");
}

/* setParentDeathSignal(signo) -> the parent pid at the time the signal was set. */
static napi_value set_parent_death_signal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sig;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i32(env, argv[0], &sig) || sig < 0 || sig >= NSIG)
    return throw_arg(env, "setParentDeathSignal: signal number expected");
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl");
  /* read after prctl: if the parent died before, this is no longer its pid (the caller checks) */
  return make_int(env, getppid());
}

/* setRealtime(priority): SCHED_RR at `priority` (1..99). */
static napi_value set_realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t prio;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i32(env, argv[0], &prio) || prio < 1 || prio > 99)
    return throw_arg(env, "setRealtime: priority 1..99 expected");
  struct sched_param p = {.sched_priority = prio};
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p) < 0)
    return throw_errno(env, errno, "sched_setscheduler");
  return NULL;
}

/* setNice(n): the process's nice value (-20..19). */
static napi_value set_nice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i32(env, argv[0], &n) || n < -20 || n > 19) return throw_arg(env, "setNice: -20..19 expected");
  if (setpriority(PRIO_PROCESS, 0, n) < 0) return throw_errno(env, errno, "setpriority");
  return NULL;
}

/* setNormalScheduling(): back to SCHED_OTHER (from setRealtime), keeping the nice value. */
static napi_value set_normal_scheduling(napi_env env, napi_callback_info info) {
  (void)info;
  struct sched_param p = {.sched_priority = 0};
  if (sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &p) < 0)
    return throw_errno(env, errno, "sched_setscheduler");
  return NULL;
}

/* setRtTimeLimit(softUs, hardUs): RLIMIT_RTTIME (CPU time a realtime task may use without blocking). */
static napi_value set_rt_time_limit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t soft, hard;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int64(env, argv[0], &soft) != napi_ok ||
      napi_get_value_int64(env, argv[1], &hard) != napi_ok || soft <= 0 || hard < soft)
    return throw_arg(env, "setRtTimeLimit: 0 < soft <= hard expected");
  struct rlimit r = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
  if (setrlimit(RLIMIT_RTTIME, &r) < 0) return throw_errno(env, errno, "setrlimit(RLIMIT_RTTIME)");
  return NULL;
}

/* mallocTrim() -> true when malloc gave memory back to the kernel (glibc; false with another libc). */
static napi_value malloc_trim_now(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  int released = malloc_trim(0);
#else
  int released = 0;
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

int process_control_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"flockExclusive", NULL, flock_exclusive, NULL, NULL, NULL, napi_default, NULL},
      {"setParentDeathSignal", NULL, set_parent_death_signal, NULL, NULL, NULL, napi_default, NULL},
      {"setRealtime", NULL, set_realtime, NULL, NULL, NULL, napi_default, NULL},
      {"setNice", NULL, set_nice, NULL, NULL, NULL, napi_default, NULL},
      {"setNormalScheduling", NULL, set_normal_scheduling, NULL, NULL, NULL, napi_default, NULL},
      {"setRtTimeLimit", NULL, set_rt_time_limit, NULL, NULL, NULL, napi_default, NULL},
      {"mallocTrim", NULL, malloc_trim_now, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
