// SPDX-License-Identifier: Apache-2.0
/*
 * The TCP check engine: TCP_CHECK probes for thousands of reals, run by native threads.
 *
 * Why native: a TCP_CHECK is a connect and a close. Through node:net each one also costs a
 * net.Socket, a handle, a timer, promises and garbage; at 10,000 reals checked every second that
 * overhead, not the kernel, saturated Node's single event loop (measured in bench/checks). No npm
 * library offers batched connect probing, so this file does it the way a C checker would: each
 * thread owns an epoll set, a heap of due checks and a heap of connect deadlines.
 *
 * The division of labour with TypeScript (src/net/tcp-check-engine.ts, src/check/manager.ts):
 *  - the engine runs each check every `interval` ms (counted from the end of the previous probe,
 *    as keepalived does): non-blocking connect, wait for writability or the deadline, close;
 *  - a result is reported to JavaScript unless it is a success that JavaScript declared "quiet"
 *    (the checker's state would not change), so a healthy pool costs the event loop nothing;
 *  - a reported check is parked until JavaScript has folded the result through the checker state
 *    machine and calls resume(id, delay, quiet) with the next delay (delay_before_retry, ...);
 *  - the engine measures its own lateness (start - due) so the manager can warn when it cannot
 *    keep up.
 * Sockets are closed with SO_LINGER 0 (a RST): a probe leaves no TIME_WAIT on the director, which
 * at 10,000 probes/s would otherwise hold ~600,000 sockets, and the real server does less work.
 *
 * Threads talk to JavaScript through one napi_threadsafe_function (result batches, one call per
 * loop iteration) and receive commands through a mutex-protected queue plus an eventfd. Every
 * socket is non-blocking; every check has a deadline; nothing here blocks the Node thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "napi_util.h"

#define MAX_THREADS 16
#define EPOLL_BATCH 256
/*
 * A probe is "young" for its first 100 ms. At most `max_young` young probes per thread: bursts of
 * due probes start at the pace the network answers instead of all at once (thousands of SYNs at
 * once overflow the reals' accept queues and turn into false timeouts), while probes to reals that
 * do not answer stop counting after 100 ms, so dead reals cannot hold back the live ones.
 */
#define YOUNG_NS (100 * 1000000LL)

enum { ST_IDLE, ST_CONNECTING, ST_PARKED };

/* An IPv4 or IPv6 socket address: 28 bytes where a sockaddr_storage takes 128. A check holds two,
 * and an engine tens of thousands of checks, each calloc'd: 344 bytes (352 of malloc's) with two
 * sockaddr_storage, 144 (160) with these, 1.9 MB less at 10,000 reals. */
typedef union {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} inet_sockaddr_t;

typedef struct check {
  uint32_t id;
  int state;
  int fd;
  bool quiet;      /* a success needs no report (set by JavaScript with resume) */
  bool young;      /* connecting and started less than YOUNG_NS ago */
  uint32_t gen;    /* start number, to match entries of the young queue */
  int hidx;        /* index in the heap its state puts it in (-1 = none) */
  int64_t due;     /* ST_IDLE: when to start (ns, CLOCK_MONOTONIC); ST_CONNECTING: deadline */
  int64_t started; /* due time of the running probe, for lateness */
  int64_t timeout_ns, interval_ns;
  uint32_t mark;
  socklen_t dst_len, src_len;
  inet_sockaddr_t dst, src;
  char ifname[IF_NAMESIZE];
} check_t;

/* One per real checked (above): a field that grows it is a choice, made here. */
_Static_assert(sizeof(check_t) <= 144, "check_t grew: one is allocated per real checked");

typedef struct {
  check_t **v;
  int n, cap;
} heap_t;

typedef enum { CMD_ADD, CMD_RESUME, CMD_REMOVE } cmd_kind;

typedef struct {
  cmd_kind kind;
  uint32_t id;
  int64_t delay_ns;
  bool quiet;
  check_t *check; /* CMD_ADD */
} cmd_t;

/* One reported result: id, errno (0 = connected), lateness of its start in ms. */
typedef struct {
  uint32_t id;
  int32_t err;
  int32_t late_ms;
  int32_t pad;
} result_t;

typedef struct {
  result_t *v;
  size_t n;
} batch_t;

typedef struct {
  uint32_t id, gen;
  int64_t at;
} young_t;

struct engine;

typedef struct worker {
  struct engine *eng;
  pthread_t thread;
  int epfd, wakefd;
  pthread_mutex_t mu;
  cmd_t *cmds;
  size_t ncmds, capcmds;
  /* Owned by the thread only. */
  heap_t due, deadlines;
  check_t **table; /* open addressing by id; NULL = empty, TOMB = deleted */
  size_t tcap, tused;
  result_t *out;
  size_t nout, capout;
  int inflight;
  int young;
  uint32_t seq;
  young_t *yq; /* ring buffer of started probes, oldest first */
  size_t yhead, ylen, ycap;
  /* Read by JavaScript (atomics). */
  int64_t runs, late_runs, win_runs, win_late_sum_ms, win_max_late_ms, inflight_now, checks;
  int64_t local_errors, last_local_errno;
} worker_t;

typedef struct engine {
  int nthreads;
  int max_inflight; /* per thread */
  int max_young;    /* per thread */
  int64_t late_ns;
  int nice; /* added to the probe threads' nice value */
  bool stopped;
  int stop_flag;
  int refs; /* the JS External and the threadsafe function; freed at 0 (both on the JS thread) */
  napi_threadsafe_function tsfn;
  worker_t w[MAX_THREADS];
} engine_t;

static check_t TOMB_CHECK;
#define TOMB (&TOMB_CHECK)

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---------- binary heap of checks by `due` ---------- */

static void heap_set(heap_t *h, int i, check_t *c) {
  h->v[i] = c;
  c->hidx = i;
}

static void heap_up(heap_t *h, int i) {
  check_t *c = h->v[i];
  while (i > 0) {
    int p = (i - 1) / 2;
    if (h->v[p]->due <= c->due) break;
    heap_set(h, i, h->v[p]);
    i = p;
  }
  heap_set(h, i, c);
}

static void heap_down(heap_t *h, int i) {
  check_t *c = h->v[i];
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    int64_t md = c->due;
    if (l < h->n && h->v[l]->due < md) m = l, md = h->v[l]->due;
    if (r < h->n && h->v[r]->due < md) m = r;
    if (m == i) break;
    heap_set(h, i, h->v[m]);
    i = m;
  }
  heap_set(h, i, c);
}

static int heap_push(heap_t *h, check_t *c) {
  if (h->n == h->cap) {
    int cap = h->cap ? h->cap * 2 : 256;
    check_t **v = realloc(h->v, sizeof *v * (size_t)cap);
    if (!v) return 0;
    h->v = v;
    h->cap = cap;
  }
  h->v[h->n] = c;
  c->hidx = h->n;
  heap_up(h, h->n++);
  return 1;
}

static void heap_remove(heap_t *h, check_t *c) {
  int i = c->hidx;
  if (i < 0 || i >= h->n || h->v[i] != c) return;
  c->hidx = -1;
  check_t *last = h->v[--h->n];
  if (i == h->n) return;
  heap_set(h, i, last);
  heap_up(h, i);
  heap_down(h, last->hidx);
}

/* ---------- id table (open addressing, owned by one thread) ---------- */

static size_t slot_of(uint32_t id, size_t cap) { return (id * 2654435761u) & (cap - 1); }

static check_t **table_find(worker_t *w, uint32_t id) {
  if (!w->tcap) return NULL;
  for (size_t i = slot_of(id, w->tcap), k = 0; k < w->tcap; i = (i + 1) & (w->tcap - 1), k++) {
    check_t *c = w->table[i];
    if (!c) return NULL;
    if (c != TOMB && c->id == id) return &w->table[i];
  }
  return NULL;
}

static int table_put(worker_t *w, check_t *c);

static int table_grow(worker_t *w) {
  size_t old = w->tcap;
  check_t **ov = w->table;
  size_t cap = old ? old * 2 : 1024;
  w->table = calloc(cap, sizeof *w->table);
  if (!w->table) {
    w->table = ov;
    return 0;
  }
  w->tcap = cap;
  w->tused = 0;
  for (size_t i = 0; i < old; i++)
    if (ov[i] && ov[i] != TOMB) table_put(w, ov[i]);
  free(ov);
  return 1;
}

static int table_put(worker_t *w, check_t *c) {
  if ((w->tused + 1) * 2 > w->tcap && !table_grow(w)) return 0;
  size_t i = slot_of(c->id, w->tcap);
  while (w->table[i] && w->table[i] != TOMB) i = (i + 1) & (w->tcap - 1);
  if (!w->table[i]) w->tused++;
  w->table[i] = c;
  return 1;
}

/* ---------- probing ---------- */

static void unyoung(worker_t *w, check_t *c) {
  if (!c->young) return;
  c->young = false;
  w->young--;
}

/* A probe's socket goes (with a RST: no TIME_WAIT) and, if it was connecting, its slot and deadline. */
static void end_probe(worker_t *w, check_t *c) {
  if (c->fd >= 0) {
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
  }
  if (c->state == ST_CONNECTING) {
    heap_remove(&w->deadlines, c);
    w->inflight--;
    unyoung(w, c);
  }
}

static void emit(worker_t *w, check_t *c, int err, int64_t late_ns) {
  if (w->nout == w->capout) {
    size_t cap = w->capout ? w->capout * 2 : 256;
    result_t *v = realloc(w->out, sizeof *v * cap);
    if (!v) return; /* out of memory: the check stays parked; JS sees it as silent */
    w->out = v;
    w->capout = cap;
  }
  int64_t ms = late_ns / 1000000;
  w->out[w->nout++] = (result_t){c->id, err, ms > INT32_MAX ? INT32_MAX : (int32_t)ms, 0};
}

static void schedule(worker_t *w, check_t *c, int64_t at) {
  c->state = ST_IDLE;
  c->due = at;
  heap_push(&w->due, c);
}

/* A probe ended (err 0 = connected): close, then report or reschedule. */
static void finish(worker_t *w, check_t *c, int err, int64_t now) {
  end_probe(w, c);
  if (err == 0 && c->quiet) {
    schedule(w, c, now + c->interval_ns);
    return;
  }
  c->state = ST_PARKED;
  emit(w, c, err, c->started);
}

static void young_push(worker_t *w, check_t *c, int64_t now) {
  if (w->ylen == w->ycap) {
    size_t cap = w->ycap ? w->ycap * 2 : 1024;
    young_t *v = malloc(sizeof *v * cap);
    if (!v) return; /* counted young until it ends: only slows starts down */
    for (size_t i = 0; i < w->ylen; i++) v[i] = w->yq[(w->yhead + i) % w->ycap];
    free(w->yq);
    w->yq = v;
    w->ycap = cap;
    w->yhead = 0;
  }
  w->yq[(w->yhead + w->ylen++) % w->ycap] = (young_t){c->id, c->gen, now};
}

/* Probes started YOUNG_NS ago stop counting as young; returns when the next one will (or INT64_MAX). */
static int64_t age_young(worker_t *w, int64_t now) {
  while (w->ylen) {
    young_t *y = &w->yq[w->yhead];
    if (y->at + YOUNG_NS > now) return y->at + YOUNG_NS;
    check_t **slot = table_find(w, y->id);
    if (slot && (*slot)->gen == y->gen) unyoung(w, *slot);
    w->yhead = (w->yhead + 1) % w->ycap;
    w->ylen--;
  }
  return INT64_MAX;
}

/*
 * A failure of the director, not of the real: out of descriptors, buffers or ephemeral ports.
 * Counting it against the real would pull healthy servers out of the pool, so the probe is retried
 * shortly and only counted (JavaScript warns about it).
 */
static bool local_error(int err, const check_t *c, bool at_connect) {
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) return true;
  return at_connect && (err == EAGAIN || (err == EADDRNOTAVAIL && !c->src_len));
}

#define LOCAL_RETRY_NS (100 * 1000000LL)

static void defer(worker_t *w, check_t *c, int err, int64_t now) {
  end_probe(w, c);
  __atomic_add_fetch(&w->local_errors, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&w->last_local_errno, err, __ATOMIC_RELAXED);
  schedule(w, c, now + LOCAL_RETRY_NS);
}

static void start(worker_t *w, check_t *c, int64_t now) {
  int64_t late = now - c->due;
  __atomic_add_fetch(&w->runs, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&w->win_runs, 1, __ATOMIC_RELAXED);
  int64_t late_ms = late / 1000000;
  __atomic_add_fetch(&w->win_late_sum_ms, late_ms, __ATOMIC_RELAXED);
  int64_t prev = __atomic_load_n(&w->win_max_late_ms, __ATOMIC_RELAXED);
  while (late_ms > prev &&
         !__atomic_compare_exchange_n(&w->win_max_late_ms, &prev, late_ms, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  if (late > w->eng->late_ns) __atomic_add_fetch(&w->late_runs, 1, __ATOMIC_RELAXED);
  c->started = late;
  c->state = ST_CONNECTING;
  c->due = now + c->timeout_ns;
  heap_push(&w->deadlines, c);
  w->inflight++;
  c->gen = ++w->seq;
  c->young = true;
  w->young++;
  young_push(w, c, now);

  int fd = socket(c->dst.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (local_error(errno, c, false))
      defer(w, c, errno, now);
    else
      finish(w, c, errno, now);
    return;
  }
  c->fd = fd;
  if (c->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &c->mark, sizeof c->mark) < 0) {
    finish(w, c, errno, now);
    return;
  }
  if (c->ifname[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, (socklen_t)strlen(c->ifname)) < 0) {
    finish(w, c, errno, now);
    return;
  }
  if (c->src_len) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, &c->src.sa, c->src_len) < 0) {
      finish(w, c, errno, now);
      return;
    }
  }
  if (connect(fd, &c->dst.sa, c->dst_len) == 0) {
    finish(w, c, 0, now);
    return;
  }
  if (errno != EINPROGRESS) {
    if (local_error(errno, c, true))
      defer(w, c, errno, now);
    else
      finish(w, c, errno, now);
    return;
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) finish(w, c, errno, now);
}

static void drop(worker_t *w, check_t *c) {
  end_probe(w, c);
  if (c->state == ST_IDLE) heap_remove(&w->due, c);
  free(c);
  __atomic_sub_fetch(&w->checks, 1, __ATOMIC_RELAXED);
}

static void run_commands(worker_t *w, int64_t now) {
  uint64_t junk;
  if (read(w->wakefd, &junk, sizeof junk) < 0) { /* EAGAIN: nothing queued */
  }
  pthread_mutex_lock(&w->mu);
  cmd_t *cmds = w->cmds;
  size_t n = w->ncmds;
  w->cmds = NULL;
  w->ncmds = w->capcmds = 0;
  pthread_mutex_unlock(&w->mu);
  for (size_t i = 0; i < n; i++) {
    cmd_t *m = &cmds[i];
    check_t **slot = table_find(w, m->id);
    if (m->kind == CMD_ADD) {
      if (slot) { /* replace: the old one goes */
        check_t *old = *slot;
        *slot = TOMB;
        drop(w, old);
      }
      if (!table_put(w, m->check)) {
        free(m->check);
        __atomic_sub_fetch(&w->checks, 1, __ATOMIC_RELAXED);
        continue;
      }
      schedule(w, m->check, now + m->delay_ns);
    } else if (m->kind == CMD_REMOVE) {
      if (!slot) continue;
      check_t *c = *slot;
      *slot = TOMB;
      drop(w, c);
    } else if (slot && (*slot)->state == ST_PARKED) {
      (*slot)->quiet = m->quiet;
      schedule(w, *slot, now + m->delay_ns);
    } else if (slot) {
      (*slot)->quiet = m->quiet;
    }
  }
  free(cmds);
}

static void flush_results(worker_t *w) {
  if (!w->nout) return;
  batch_t *b = malloc(sizeof *b);
  if (!b) return;
  b->v = w->out;
  b->n = w->nout;
  w->out = NULL;
  w->nout = w->capout = 0;
  if (napi_call_threadsafe_function(w->eng->tsfn, b, napi_tsfn_blocking) != napi_ok) {
    free(b->v);
    free(b);
  }
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  /*
   * Probing yields to the event loop: when the CPU is short, folding results into the IPVS table
   * matters more than starting the next probe (lateness then shows it). Best effort.
   */
  if (w->eng->nice > 0) {
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (errno == 0) setpriority(PRIO_PROCESS, (id_t)gettid(), cur + w->eng->nice);
  }
  struct epoll_event evs[EPOLL_BATCH];
  while (!__atomic_load_n(&w->eng->stop_flag, __ATOMIC_ACQUIRE)) {
    int64_t now = mono_ns();
    int64_t next = age_young(w, now);
    if (w->deadlines.n && w->deadlines.v[0]->due < next) next = w->deadlines.v[0]->due;
    if (w->due.n && w->inflight < w->eng->max_inflight && w->young < w->eng->max_young &&
        w->due.v[0]->due < next)
      next = w->due.v[0]->due;
    int timeout = 1000;
    if (next != INT64_MAX) {
      int64_t ms = (next - now + 999999) / 1000000;
      timeout = ms <= 0 ? 0 : ms < 1000 ? (int)ms : 1000;
    }
    int n = epoll_wait(w->epfd, evs, EPOLL_BATCH, timeout);
    now = mono_ns();
    bool commands = false;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == NULL) {
        commands = true; /* after the events: a REMOVE frees checks this batch may still name */
        continue;
      }
      check_t *c = evs[i].data.ptr;
      if (c->state != ST_CONNECTING || c->fd < 0) continue;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      finish(w, c, err, now);
    }
    if (commands) run_commands(w, now);
    while (w->deadlines.n && w->deadlines.v[0]->due <= now) finish(w, w->deadlines.v[0], ETIMEDOUT, now);
    age_young(w, now);
    while (w->due.n && w->due.v[0]->due <= now && w->inflight < w->eng->max_inflight &&
           w->young < w->eng->max_young) {
      check_t *c = w->due.v[0];
      heap_remove(&w->due, c);
      start(w, c, now);
    }
    __atomic_store_n(&w->inflight_now, w->inflight, __ATOMIC_RELAXED);
    flush_results(w);
  }
  return NULL;
}

/* ---------- JavaScript side ---------- */

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  batch_t *b = data;
  if (env && js_cb) {
    napi_value buf, undef;
    void *dst;
    if (napi_create_buffer_copy(env, b->n * sizeof(result_t), b->v, &dst, &buf) == napi_ok) {
      napi_get_undefined(env, &undef);
      napi_call_function(env, undef, js_cb, 1, &buf, NULL);
    }
  }
  free(b->v);
  free(b);
}

static void engine_free(engine_t *e) {
  for (int t = 0; t < e->nthreads; t++) {
    worker_t *w = &e->w[t];
    for (size_t i = 0; i < w->tcap; i++)
      if (w->table[i] && w->table[i] != TOMB) drop(w, w->table[i]);
    for (size_t i = 0; i < w->ncmds; i++)
      if (w->cmds[i].kind == CMD_ADD) free(w->cmds[i].check);
    free(w->table);
    free(w->cmds);
    free(w->due.v);
    free(w->deadlines.v);
    free(w->out);
    free(w->yq);
    close(w->epfd);
    close(w->wakefd);
    pthread_mutex_destroy(&w->mu);
  }
  free(e);
}

static void engine_unref(engine_t *e) {
  if (--e->refs == 0) engine_free(e);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) { engine_unref(data); }

static void engine_stop(engine_t *e) {
  if (e->stopped) return;
  e->stopped = true;
  __atomic_store_n(&e->stop_flag, 1, __ATOMIC_RELEASE);
  for (int t = 0; t < e->nthreads; t++) {
    uint64_t one = 1;
    if (write(e->w[t].wakefd, &one, sizeof one) < 0) { /* the thread also wakes within 1 s */
    }
  }
  for (int t = 0; t < e->nthreads; t++) pthread_join(e->w[t].thread, NULL);
  /* Frees the engine once queued batches are delivered (tsfn_finalize). */
  napi_release_threadsafe_function(e->tsfn, napi_tsfn_abort);
}

static engine_t *get_engine(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  engine_t *e = p;
  return e && !e->stopped ? e : NULL;
}

static void engine_gc(napi_env env, void *data, void *hint) {
  engine_stop(data);
  engine_unref(data);
}

/* create(callback(buffer), threads, maxInflightPerThread, lateMs, nice, maxYoungPerThread) → External */
static napi_value engine_create(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t threads, maxin, late_ms, nice, maxyoung;
  if (argc < 6 || !get_i32(env, argv[1], &threads) || !get_i32(env, argv[2], &maxin) ||
      !get_i32(env, argv[3], &late_ms) || !get_i32(env, argv[4], &nice) || !get_i32(env, argv[5], &maxyoung) ||
      threads < 1 || threads > MAX_THREADS || maxin < 1 || late_ms < 0 || nice < 0 || nice > 19 || maxyoung < 1)
    return throw_arg(env,
                     "create(callback, threads 1..16, maxInflight >= 1, lateMs >= 0, nice 0..19, maxYoung >= 1)");
  engine_t *e = calloc(1, sizeof *e);
  if (!e) return throw_errno(env, ENOMEM, "engine");
  e->nthreads = threads;
  e->refs = 1; /* the threadsafe function's; the External's is added when it exists */
  /*
   * Every probe in flight holds a descriptor: raise the soft limit to the hard one and keep the
   * engine within three quarters of it, so Node and the other checkers keep theirs.
   */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rlim_t want = rl.rlim_max;
      rl.rlim_cur = want;
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    int64_t budget = (int64_t)(rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : rl.rlim_cur);
    budget -= budget / 4 > 256 ? budget / 4 : 256;
    int64_t per = budget / threads;
    if (per < 16) per = 16;
    if (per < maxin) maxin = (int32_t)per;
  }
  e->max_inflight = maxin;
  e->max_young = maxyoung;
  e->late_ns = (int64_t)late_ms * 1000000;
  e->nice = nice;
  napi_value name;
  NAPI_OK(napi_create_string_utf8(env, "lvsd-tcp-check", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, e, tsfn_finalize, NULL, call_js, &e->tsfn) !=
      napi_ok) {
    free(e);
    return throw_arg(env, "callback must be a function");
  }
  /* The engine never keeps the process alive by itself. */
  napi_unref_threadsafe_function(env, e->tsfn);
  int started = 0;
  for (int t = 0; t < threads; t++) {
    worker_t *w = &e->w[t];
    w->eng = e;
    pthread_mutex_init(&w->mu, NULL);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (w->epfd < 0 || w->wakefd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) < 0 ||
        pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      int err = errno;
      e->nthreads = started;
      if (w->epfd >= 0) close(w->epfd);
      if (w->wakefd >= 0) close(w->wakefd);
      pthread_mutex_destroy(&w->mu);
      engine_stop(e);
      return throw_errno(env, err, "tcp check engine thread");
    }
    started++;
  }
  napi_value ext;
  if (napi_create_external(env, e, engine_gc, NULL, &ext) != napi_ok) {
    engine_stop(e);
    return throw_arg(env, "napi_create_external failed");
  }
  e->refs++;
  return ext;
}

static int queue(engine_t *e, cmd_t m) {
  worker_t *w = &e->w[m.id % (uint32_t)e->nthreads];
  pthread_mutex_lock(&w->mu);
  if (w->ncmds == w->capcmds) {
    size_t cap = w->capcmds ? w->capcmds * 2 : 64;
    cmd_t *v = realloc(w->cmds, sizeof *v * cap);
    if (!v) {
      pthread_mutex_unlock(&w->mu);
      return 0;
    }
    w->cmds = v;
    w->capcmds = cap;
  }
  bool wake = w->ncmds == 0;
  w->cmds[w->ncmds++] = m;
  pthread_mutex_unlock(&w->mu);
  if (wake) {
    uint64_t one = 1;
    if (write(w->wakefd, &one, sizeof one) < 0) { /* counter saturated: a wake is pending anyway */
    }
  }
  return 1;
}

static int sockaddr_from(napi_env env, napi_value buf, int32_t port, inet_sockaddr_t *a, socklen_t *len) {
  void *p;
  size_t n;
  if (!get_buf(env, buf, &p, &n)) return 0;
  memset(a, 0, sizeof *a);
  if (n == 4) {
    a->in4.sin_family = AF_INET;
    a->in4.sin_port = htons((uint16_t)port);
    memcpy(&a->in4.sin_addr, p, 4);
    *len = sizeof a->in4;
    return 1;
  }
  if (n == 16) {
    a->in6.sin6_family = AF_INET6;
    a->in6.sin6_port = htons((uint16_t)port);
    memcpy(&a->in6.sin6_addr, p, 16);
    *len = sizeof a->in6;
    return 1;
  }
  return 0;
}

/* add(engine, id, dstAddr(4|16 bytes), dstPort, srcAddr|null, srcPort, timeoutMs, intervalMs,
 *     firstDelayMs, mark, ifname|null) */
static napi_value engine_add(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 11 ? get_engine(env, argv[0]) : NULL;
  if (!e) return throw_arg(env, "add: engine stopped or bad arguments");
  int32_t id, dport, sport, timeout, interval, first, mark;
  if (!get_i32(env, argv[1], &id) || !get_i32(env, argv[3], &dport) || !get_i32(env, argv[5], &sport) ||
      !get_i32(env, argv[6], &timeout) || !get_i32(env, argv[7], &interval) || !get_i32(env, argv[8], &first) ||
      !get_i32(env, argv[9], &mark) || id < 0 || dport < 0 || dport > 65535 || sport < 0 || sport > 65535 ||
      timeout < 1 || interval < 1 || first < 0)
    return throw_arg(env, "add: bad numeric argument");
  check_t *c = calloc(1, sizeof *c);
  if (!c) return throw_errno(env, ENOMEM, "add");
  c->id = (uint32_t)id;
  c->fd = -1;
  c->hidx = -1;
  c->timeout_ns = (int64_t)timeout * 1000000;
  c->interval_ns = (int64_t)interval * 1000000;
  c->mark = (uint32_t)mark;
  if (!sockaddr_from(env, argv[2], dport, &c->dst, &c->dst_len)) {
    free(c);
    return throw_arg(env, "add: destination must be a 4- or 16-byte Buffer");
  }
  if (!is_nullish(env, argv[4])) {
    if (!sockaddr_from(env, argv[4], sport, &c->src, &c->src_len) || c->src.sa.sa_family != c->dst.sa.sa_family) {
      free(c);
      return throw_arg(env, "add: source must be a Buffer of the destination's family");
    }
  } else if (sport) {
    if (c->dst.sa.sa_family == AF_INET) {
      c->src.in4.sin_family = AF_INET;
      c->src.in4.sin_port = htons((uint16_t)sport);
      c->src_len = sizeof c->src.in4;
    } else {
      c->src.in6.sin6_family = AF_INET6;
      c->src.in6.sin6_port = htons((uint16_t)sport);
      c->src_len = sizeof c->src.in6;
    }
  }
  if (!is_nullish(env, argv[10])) {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[10], c->ifname, sizeof c->ifname, &len) != napi_ok || len == 0 ||
        len >= IF_NAMESIZE) {
      free(c);
      return throw_arg(env, "add: bad interface name");
    }
  }
  __atomic_add_fetch(&e->w[c->id % (uint32_t)e->nthreads].checks, 1, __ATOMIC_RELAXED);
  if (!queue(e, (cmd_t){CMD_ADD, c->id, (int64_t)first * 1000000, false, c})) {
    free(c);
    return throw_errno(env, ENOMEM, "add");
  }
  return NULL;
}

/* resume(engine, id, delayMs, quiet) */
static napi_value engine_resume(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 4 ? get_engine(env, argv[0]) : NULL;
  int32_t id, delay;
  bool quiet = false;
  if (!e || !get_i32(env, argv[1], &id) || !get_i32(env, argv[2], &delay) ||
      napi_get_value_bool(env, argv[3], &quiet) != napi_ok || id < 0 || delay < 0)
    return throw_arg(env, "resume(engine, id, delayMs, quiet)");
  if (!queue(e, (cmd_t){CMD_RESUME, (uint32_t)id, (int64_t)delay * 1000000, quiet, NULL}))
    return throw_errno(env, ENOMEM, "resume");
  return NULL;
}

/* remove(engine, id) */
static napi_value engine_remove(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 2 ? get_engine(env, argv[0]) : NULL;
  int32_t id;
  if (!e || !get_i32(env, argv[1], &id) || id < 0) return throw_arg(env, "remove(engine, id)");
  if (!queue(e, (cmd_t){CMD_REMOVE, (uint32_t)id, 0, false, NULL})) return throw_errno(env, ENOMEM, "remove");
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *k, int64_t v) {
  napi_set_named_property(env, obj, k, make_int(env, v));
}

/* stats(engine, newWindow) → {checks, runs, lateRuns, inFlight, windowRuns, maxLatenessMs, sumLatenessMs,
 *                              localErrors, lastLocalErrno, maxInFlight} */
static napi_value engine_stats(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 2 ? get_engine(env, argv[0]) : NULL;
  bool reset = false;
  if (!e || napi_get_value_bool(env, argv[1], &reset) != napi_ok) return throw_arg(env, "stats(engine, newWindow)");
  int64_t checks = 0, runs = 0, late = 0, infl = 0, wruns = 0, wmax = 0, wsum = 0, lerr = 0, lastl = 0;
  for (int t = 0; t < e->nthreads; t++) {
    worker_t *w = &e->w[t];
    checks += __atomic_load_n(&w->checks, __ATOMIC_RELAXED);
    runs += __atomic_load_n(&w->runs, __ATOMIC_RELAXED);
    late += __atomic_load_n(&w->late_runs, __ATOMIC_RELAXED);
    infl += __atomic_load_n(&w->inflight_now, __ATOMIC_RELAXED);
    lerr += __atomic_load_n(&w->local_errors, __ATOMIC_RELAXED);
    int64_t le = __atomic_load_n(&w->last_local_errno, __ATOMIC_RELAXED);
    if (le) lastl = le;
    int64_t m = reset ? __atomic_exchange_n(&w->win_max_late_ms, 0, __ATOMIC_RELAXED)
                      : __atomic_load_n(&w->win_max_late_ms, __ATOMIC_RELAXED);
    if (m > wmax) wmax = m;
    wruns += reset ? __atomic_exchange_n(&w->win_runs, 0, __ATOMIC_RELAXED)
                   : __atomic_load_n(&w->win_runs, __ATOMIC_RELAXED);
    wsum += reset ? __atomic_exchange_n(&w->win_late_sum_ms, 0, __ATOMIC_RELAXED)
                  : __atomic_load_n(&w->win_late_sum_ms, __ATOMIC_RELAXED);
  }
  napi_value o;
  NAPI_OK(napi_create_object(env, &o));
  set_num(env, o, "checks", checks);
  set_num(env, o, "runs", runs);
  set_num(env, o, "lateRuns", late);
  set_num(env, o, "inFlight", infl);
  set_num(env, o, "windowRuns", wruns);
  set_num(env, o, "maxLatenessMs", wmax);
  set_num(env, o, "sumLatenessMs", wsum);
  set_num(env, o, "localErrors", lerr);
  set_num(env, o, "lastLocalErrno", lastl);
  set_num(env, o, "maxInFlight", (int64_t)e->max_inflight * e->nthreads);
  return o;
}

/* stop(engine): joins the threads and closes every socket; idempotent. */
static napi_value engine_stop_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 1 ? get_engine(env, argv[0]) : NULL;
  if (e) engine_stop(e);
  return NULL;
}

int tcp_engine_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tcpEngineCreate", NULL, engine_create, NULL, NULL, NULL, napi_default, NULL},
      {"tcpEngineAdd", NULL, engine_add, NULL, NULL, NULL, napi_default, NULL},
      {"tcpEngineResume", NULL, engine_resume, NULL, NULL, NULL, napi_default, NULL},
      {"tcpEngineRemove", NULL, engine_remove, NULL, NULL, NULL, napi_default, NULL},
      {"tcpEngineStats", NULL, engine_stats, NULL, NULL, NULL, napi_default, NULL},
      {"tcpEngineStop", NULL, engine_stop_js, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
