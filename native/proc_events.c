// SPDX-License-Identifier: Apache-2.0
/*
 * Process events for vrrp_track_process: the kernel's proc connector (NETLINK_CONNECTOR,
 * CN_IDX_PROC) and a scan of /proc, both turned into one record format that
 * src/net/proc-records.ts decodes. Only process-level events are passed on (fork of a process, not
 * of a thread; exec, comm change and exit of a thread-group leader); at an exec the new process's
 * comm (and, when asked for, the start of its command line) is read from /proc at once, so the
 * record and the events after it stay in order. Everything else (which processes count, quorum,
 * delays) is TypeScript's.
 *
 * The proc connector only answers sockets in the initial network namespace. When lvsd itself runs
 * in another one (`ip netns exec`, systemd's NetworkNamespacePath=), the listen request is refused
 * (ECONNREFUSED); the socket is then opened from the initial namespace (the calling thread enters
 * PID 1's network namespace, or an ancestor's, and returns at once), since the events it carries
 * are the host's either way.
 *
 * Record (little-endian, each padded to 4 bytes):
 *   u8 kind (1 scan, 2 fork, 3 exec, 4 comm, 5 exit, 6 overflow, 7 ack), u8 flags (1: comm and
 *   command line were read), u16 cmdline length, i32 pid, i32 parent pid (fork) or ack error,
 *   char comm[16] (NUL padded), then the command line bytes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"

enum { REC_SCAN = 1, REC_FORK, REC_EXEC, REC_COMM, REC_EXIT, REC_OVERFLOW, REC_ACK };
#define REC_HEADER 28
#define COMM_LEN 16
#define CMDLINE_MAX 65535 /* the record's u16 length field */
#define RX_BATCH 256      /* messages drained per readiness event */

/* A growable record buffer. */
typedef struct {
  uint8_t *p;
  size_t len, cap;
  int failed;
} recbuf_t;

static uint8_t *rec_reserve(recbuf_t *b, size_t n) {
  if (b->failed) return NULL;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  uint8_t *at = b->p + b->len;
  b->len += n;
  return at;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void rec_add(recbuf_t *b, int kind, int flags, int32_t pid, int32_t parent, const char *comm,
                    const uint8_t *cmd, size_t cmdlen) {
  if (cmdlen > CMDLINE_MAX) cmdlen = CMDLINE_MAX;
  size_t n = (REC_HEADER + cmdlen + 3) & ~(size_t)3;
  uint8_t *r = rec_reserve(b, n);
  if (!r) return;
  memset(r, 0, n);
  r[0] = (uint8_t)kind;
  r[1] = (uint8_t)flags;
  r[2] = (uint8_t)cmdlen;
  r[3] = (uint8_t)(cmdlen >> 8);
  put32(r + 4, (uint32_t)pid);
  put32(r + 8, (uint32_t)parent);
  if (comm) memcpy(r + 12, comm, strnlen(comm, COMM_LEN - 1));
  if (cmdlen) memcpy(r + REC_HEADER, cmd, cmdlen);
}

/* Read at most `max` bytes of a small /proc file; -1 when it cannot be read (the process is gone). */
static ssize_t read_small(const char *path, uint8_t *buf, size_t max) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n;
  do n = read(fd, buf, max);
  while (n < 0 && errno == EINTR);
  close(fd);
  return n;
}

/* comm from /proc/PID/comm (without its newline); 0 when it cannot be read. */
static int read_comm(int32_t pid, char comm[COMM_LEN]) {
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  uint8_t buf[COMM_LEN + 1];
  ssize_t n = read_small(path, buf, COMM_LEN);
  if (n < 0) return 0;
  if (n > 0 && buf[n - 1] == '\n') n--;
  memset(comm, 0, COMM_LEN);
  memcpy(comm, buf, (size_t)n < COMM_LEN - 1 ? (size_t)n : COMM_LEN - 1);
  return 1;
}

/*
 * comm and state from /proc/PID/stat: "PID (COMM) S ...". comm may itself hold ')' or spaces, so it
 * ends at the last ')'. Returns 0 for a zombie or dead process, or when the file cannot be read.
 */
static int read_stat(const char *pid, char comm[COMM_LEN]) {
  char path[300];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  uint8_t buf[128];
  ssize_t n = read_small(path, buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *open = strchr((char *)buf, '(');
  char *close_ = strrchr((char *)buf, ')');
  if (!open || !close_ || close_ < open || close_ + 2 >= (char *)buf + n) return 0;
  char state = close_[2];
  if (state == 'Z' || state == 'X' || state == 'x') return 0;
  size_t len = (size_t)(close_ - open - 1);
  memset(comm, 0, COMM_LEN);
  memcpy(comm, open + 1, len < COMM_LEN - 1 ? len : COMM_LEN - 1);
  return 1;
}

/* The first `max` bytes of /proc/PID/cmdline into buf; -1 when it cannot be read. */
static ssize_t read_cmdline(const char *pid, uint8_t *buf, size_t max) {
  char path[300];
  snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
  return read_small(path, buf, max);
}

/* ---------- procScan(cmdlineMax) -> Buffer of scan records ---------- */

static napi_value proc_scan(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t cmax;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i32(env, argv[0], &cmax) || cmax < 0 || cmax > CMDLINE_MAX)
    return throw_arg(env, "procScan: cmdlineMax 0..65535 expected");
  DIR *d = opendir("/proc");
  if (!d) return throw_errno(env, errno, "opendir(/proc)");
  recbuf_t b = {0};
  uint8_t *cmd = cmax ? malloc((size_t)cmax) : NULL;
  if (cmax && !cmd) {
    closedir(d);
    return throw_errno(env, ENOMEM, "malloc");
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char comm[COMM_LEN];
    if (!read_stat(e->d_name, comm)) continue;
    ssize_t clen = 0;
    if (cmax && (clen = read_cmdline(e->d_name, cmd, (size_t)cmax)) < 0) continue;
    rec_add(&b, REC_SCAN, 1, (int32_t)strtol(e->d_name, NULL, 10), 0, comm, cmd, (size_t)clen);
  }
  closedir(d);
  free(cmd);
  napi_value out = NULL;
  if (b.failed) throw_errno(env, ENOMEM, "procScan");
  else if (napi_create_buffer_copy(env, b.len, b.len ? (void *)b.p : (void *)"", NULL, &out) != napi_ok)
    throw_arg(env, "procScan: cannot create the result buffer");
  free(b.p);
  return out;
}

/* ---------- the connector socket ---------- */

typedef struct {
  int fd;
  int closed;
  int via_init_ns; /* opened from the initial network namespace */
  int refs;        /* 1 for the JS external, 1 while the poll handle is open */
  int32_t cmax;    /* command-line bytes read at exec (0 = none) */
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  uint8_t *cmd;    /* cmax bytes */
  uint64_t messages, overflows;
} pev_t;

static void pev_unref(pev_t *s) {
  if (--s->refs == 0) {
    free(s->cmd);
    free(s);
  }
}

/* Ask the kernel to start (PROC_CN_MCAST_LISTEN) or stop sending process events to this socket. */
static int pev_listen(int fd, int on) {
  struct {
    struct nlmsghdr nl;
    struct cn_msg cn;
    uint32_t op;
  } __attribute__((packed)) m;
  memset(&m, 0, sizeof m);
  m.nl.nlmsg_len = sizeof m;
  m.nl.nlmsg_type = NLMSG_DONE;
  m.cn.id.idx = CN_IDX_PROC;
  m.cn.id.val = CN_VAL_PROC;
  m.cn.len = sizeof m.op;
  m.op = on ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE;
  ssize_t n;
  do n = send(fd, &m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : 0;
}

/*
 * A socket filter so that the kernel drops what lvsd would drop anyway: threads (a new thread is
 * a fork whose child pid differs from its thread group id; an exec, name change or exit of one is
 * not its group leader's) and event kinds lvsd does not follow (uid, gid, sid, ptrace, coredump).
 * Without it each of those would wake the event loop: 86 % of the messages on a busy host measured
 * while writing this. Classic BPF reads the message in network order, so pids are compared with
 * each other and the constants are converted with htonl. Not attaching it only costs wakeups.
 */
static void pev_attach_filter(int fd) {
  const uint32_t ev = NLMSG_HDRLEN + sizeof(struct cn_msg);
#define EV_AT(f) (ev + (uint32_t)offsetof(struct proc_event, f))
  struct sock_filter code[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(NLMSG_DONE), 1, 0),
      /* 2 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffff), /* not a connector message: C looks at it */
      /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NLMSG_HDRLEN + offsetof(struct cn_msg, id.idx)),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_IDX_PROC), 0, 17),
      /* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NLMSG_HDRLEN + offsetof(struct cn_msg, id.val)),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_VAL_PROC), 0, 15),
      /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_AT(what)),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_NONE), 12, 0),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_FORK), 3, 0),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 6, 0),
      /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_COMM), 5, 0),
      /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXIT), 4, 9),
      /* 13: fork */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_AT(event_data.fork.child_pid)),
      /* 14 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
      /* 15 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_AT(event_data.fork.child_tgid)),
      /* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 4, 5),
      /* 17: exec, comm, exit (same layout) */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_AT(event_data.exec.process_pid)),
      /* 18 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
      /* 19 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_AT(event_data.exec.process_tgid)),
      /* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
      /* 21: accept */ BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      /* 22: drop */ BPF_STMT(BPF_RET | BPF_K, 0),
  };
#undef EV_AT
  _Static_assert(offsetof(struct proc_event, event_data.comm.process_tgid) ==
                         offsetof(struct proc_event, event_data.exec.process_tgid) &&
                     offsetof(struct proc_event, event_data.exit.process_tgid) ==
                         offsetof(struct proc_event, event_data.exec.process_tgid),
                 "exec, comm and exit events keep pid and tgid at the same offsets");
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  (void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* Open, bind to the proc connector group and listen; a negative errno on failure. */
static int pev_open_here(int rcvbuf, int force) {
  int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) return -errno;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
  int err = 0;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) err = -errno;
  if (!err && rcvbuf > 0 &&
      setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
    err = -errno;
  if (!err) pev_attach_filter(fd);
  if (!err) err = pev_listen(fd, 1);
  if (err) {
    close(fd);
    return err;
  }
  return fd;
}

static int same_ns(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The parent of `pid` from /proc/PID/stat ("PID (COMM) S PPID ..."); 0 when unknown. */
static int32_t parent_of(int32_t pid) {
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  uint8_t buf[256];
  ssize_t n = read_small(path, buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr((char *)buf, ')');
  int ppid = 0;
  if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1) return 0;
  return ppid;
}

/* pev_open_here() in the network namespace of `pid`, this thread returning to its own after. */
static int pev_open_in_ns_of(int self, int32_t pid, int rcvbuf, int force) {
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return -errno;
  int fd = -ECONNREFUSED;
  if (!same_ns(self, ns)) {
    if (setns(ns, CLONE_NEWNET) < 0) fd = -errno;
    else {
      fd = pev_open_here(rcvbuf, force);
      /* Every socket opened after this must be in lvsd's own namespace: no way on without it. */
      if (setns(self, CLONE_NEWNET) < 0)
        napi_fatal_error("procEventsOpen", NAPI_AUTO_LENGTH, "cannot return to the network namespace",
                         NAPI_AUTO_LENGTH);
    }
  }
  close(ns);
  return fd;
}

/*
 * The connector's socket from the initial network namespace: that of PID 1, else that of the
 * nearest ancestor in a namespace where the listen request is accepted (PID 1's may be unreadable,
 * e.g. inside a container; a shell that ran `ip netns exec` is in the initial one).
 */
static int pev_open_init_ns(int rcvbuf, int force) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return -errno;
  int fd = pev_open_in_ns_of(self, 1, rcvbuf, force);
  int first = fd;
  int32_t pid = getppid();
  for (int depth = 0; fd < 0 && pid > 1 && depth < 64; depth++, pid = parent_of(pid))
    fd = pev_open_in_ns_of(self, pid, rcvbuf, force);
  close(self);
  /* nothing accepted the request: report why PID 1's namespace could not be used */
  return fd >= 0 ? fd : first;
}

static void pev_deliver(pev_t *s, recbuf_t *b) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, buf, result;
  if (napi_get_reference_value(env, s->cb, &cb) == napi_ok && cb && napi_get_global(env, &global) == napi_ok &&
      napi_create_buffer_copy(env, b->len, b->p, NULL, &buf) == napi_ok) {
    if (napi_make_callback(env, s->actx, global, cb, 1, &buf, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* One proc_event into records (process-level events only). */
static void pev_event(pev_t *s, recbuf_t *b, const struct cn_msg *cn, const struct proc_event *ev) {
  char comm[COMM_LEN];
  switch (ev->what) {
    case PROC_EVENT_NONE:
      if (cn->ack) rec_add(b, REC_ACK, 0, 0, (int32_t)ev->event_data.ack.err, NULL, NULL, 0);
      break;
    case PROC_EVENT_FORK:
      if (ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid)
        rec_add(b, REC_FORK, 0, ev->event_data.fork.child_tgid, ev->event_data.fork.parent_tgid, NULL, NULL, 0);
      break;
    case PROC_EVENT_EXEC: {
      int32_t pid = ev->event_data.exec.process_tgid;
      if (ev->event_data.exec.process_pid != pid) break;
      char spid[16];
      snprintf(spid, sizeof spid, "%d", (int)pid);
      ssize_t clen = 0;
      int ok = read_comm(pid, comm) && (!s->cmax || (clen = read_cmdline(spid, s->cmd, (size_t)s->cmax)) >= 0);
      rec_add(b, REC_EXEC, ok, pid, 0, ok ? comm : NULL, s->cmd, ok ? (size_t)clen : 0);
      break;
    }
    case PROC_EVENT_COMM:
      if (ev->event_data.comm.process_pid != ev->event_data.comm.process_tgid) break;
      memset(comm, 0, sizeof comm);
      memcpy(comm, ev->event_data.comm.comm, sizeof ev->event_data.comm.comm < COMM_LEN - 1 ? sizeof ev->event_data.comm.comm : COMM_LEN - 1);
      rec_add(b, REC_COMM, 1, ev->event_data.comm.process_tgid, 0, comm, NULL, 0);
      break;
    case PROC_EVENT_EXIT:
      if (ev->event_data.exit.process_pid == ev->event_data.exit.process_tgid)
        rec_add(b, REC_EXIT, 0, ev->event_data.exit.process_tgid, 0, NULL, NULL, 0);
      break;
    default:
      break;
  }
}

static void pev_on_poll(uv_poll_t *h, int status, int events) {
  pev_t *s = h->data;
  if (s->closed) return;
  recbuf_t b = {0};
  if (status < 0) {
    /* POLLERR: an overrun (ENOBUFS) stopped the handle; resume it, report the loss, then drain */
    if (poll_resume_after_error(&s->poll, s->fd, pev_on_poll) == ENOBUFS) {
      s->overflows++;
      rec_add(&b, REC_OVERFLOW, 0, 0, 0, NULL, NULL, 0);
    }
  } else if (!(events & UV_READABLE)) {
    return;
  }
  /* 8-byte aligned; every read of a kernel struct below is a memcpy out of it, bounded by n */
  union { uint8_t b[1024]; uint64_t align; } buf;
  for (int i = 0; i < RX_BATCH && !s->closed; i++) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = buf.b, .iov_len = sizeof buf.b};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) { /* the socket buffer overflowed: events were lost */
        s->overflows++;
        rec_add(&b, REC_OVERFLOW, 0, 0, 0, NULL, NULL, 0);
        continue;
      }
      break; /* EAGAIN: drained */
    }
    if (mh.msg_namelen != sizeof from || from.nl_pid != 0) continue; /* only the kernel speaks here */
    if ((size_t)n < NLMSG_HDRLEN + sizeof(struct cn_msg)) continue;
    struct nlmsghdr nl;
    memcpy(&nl, buf.b, sizeof nl);
    if (nl.nlmsg_type == NLMSG_ERROR || nl.nlmsg_type == NLMSG_NOOP || nl.nlmsg_len > (size_t)n) continue;
    struct cn_msg cn;
    memcpy(&cn, buf.b + NLMSG_HDRLEN, sizeof cn);
    if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC) continue;
    struct proc_event ev;
    memset(&ev, 0, sizeof ev);
    size_t avail = (size_t)n - NLMSG_HDRLEN - sizeof cn;
    if (avail > cn.len) avail = cn.len;
    memcpy(&ev, buf.b + NLMSG_HDRLEN + sizeof cn, avail < sizeof ev ? avail : sizeof ev);
    s->messages++;
    pev_event(s, &b, &cn, &ev);
  }
  if (b.len > 0 && !s->closed) pev_deliver(s, &b);
  free(b.p);
}

static void pev_poll_closed(uv_handle_t *h) {
  pev_t *s = h->data;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  pev_unref(s);
}

static void pev_close(pev_t *s) {
  if (s->closed) return;
  s->closed = 1;
  (void)pev_listen(s->fd, 0); /* the kernel counts listeners: tell it this one is gone */
  napi_delete_reference(s->env, s->cb);
  napi_async_destroy(s->env, s->actx);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, pev_poll_closed);
}

static void pev_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pev_close(data);
  pev_unref(data);
}

/* ---------- procEventsOpen(cb(Buffer), rcvbuf, force, cmdlineMax) -> handle ---------- */

static napi_value proc_events_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t rcvbuf, cmax;
  bool force = false;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t;
  if (argc < 4 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return throw_arg(env, "procEventsOpen: callback expected");
  if (!get_i32(env, argv[1], &rcvbuf) || rcvbuf < 0) return throw_arg(env, "procEventsOpen: bad rcvbuf");
  if (napi_get_value_bool(env, argv[2], &force) != napi_ok) return throw_arg(env, "procEventsOpen: bad force");
  if (!get_i32(env, argv[3], &cmax) || cmax < 0 || cmax > CMDLINE_MAX)
    return throw_arg(env, "procEventsOpen: cmdlineMax 0..65535 expected");

  int via_init = 0;
  int fd = pev_open_here(rcvbuf, force);
  if (fd == -ECONNREFUSED) {
    fd = pev_open_init_ns(rcvbuf, force);
    via_init = fd >= 0;
  }
  if (fd < 0) return throw_errno(env, -fd, "proc connector");

  pev_t *s = calloc(1, sizeof *s);
  uint8_t *cmd = cmax ? malloc((size_t)cmax) : NULL;
  if (!s || (cmax && !cmd)) {
    free(s);
    free(cmd);
    (void)pev_listen(fd, 0);
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->fd = fd;
  s->env = env;
  s->cmax = cmax;
  s->cmd = cmd;
  s->via_init_ns = via_init;
  s->refs = 1;
  uv_loop_t *loop;
  napi_value name, ext;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || napi_create_reference(env, argv[0], 1, &s->cb) != napi_ok ||
      napi_create_string_utf8(env, "lvsd_proc_events", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &s->actx) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    if (s->cb) napi_delete_reference(env, s->cb);
    if (s->actx) napi_async_destroy(env, s->actx);
    (void)pev_listen(fd, 0);
    close(fd);
    free(cmd);
    free(s);
    return throw_arg(env, "procEventsOpen: cannot set up polling");
  }
  s->poll.data = s;
  s->refs++;
  int rc = uv_poll_start(&s->poll, UV_READABLE, pev_on_poll);
  if (rc != 0 || napi_create_external(env, s, pev_finalize, NULL, &ext) != napi_ok) {
    pev_close(s);
    pev_unref(s);
    return rc != 0 ? throw_errno(env, -rc, "uv_poll_start") : throw_arg(env, "napi_create_external failed");
  }
  return ext;
}

static pev_t *get_pev(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* procEventsClose(handle): stop listening and close (idempotent). */
static napi_value proc_events_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pev_t *s = argc < 1 ? NULL : get_pev(env, argv[0]);
  if (!s) return throw_arg(env, "procEventsClose: bad handle");
  pev_close(s);
  return NULL;
}

/* procEventsStats(handle) -> [messages, overflows, viaInitialNetns (0|1), SO_RCVBUF (-1 closed)] */
static napi_value proc_events_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pev_t *s = argc < 1 ? NULL : get_pev(env, argv[0]);
  if (!s) return throw_arg(env, "procEventsStats: bad handle");
  int rcvbuf = -1;
  socklen_t len = sizeof rcvbuf;
  if (s->closed || getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0) rcvbuf = -1;
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, 4, &arr));
  napi_set_element(env, arr, 0, make_int(env, (int64_t)s->messages));
  napi_set_element(env, arr, 1, make_int(env, (int64_t)s->overflows));
  napi_set_element(env, arr, 2, make_int(env, s->via_init_ns));
  napi_set_element(env, arr, 3, make_int(env, rcvbuf));
  return arr;
}

/* procEventsSetRcvBuf(handle, bytes, force): SO_RCVBUF, or SO_RCVBUFFORCE past net.core.rmem_max. */
static napi_value proc_events_set_rcvbuf(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t bytes;
  bool force = false;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pev_t *s = argc < 3 ? NULL : get_pev(env, argv[0]);
  if (!s || s->closed) return throw_arg(env, "procEventsSetRcvBuf: bad handle");
  if (!get_i32(env, argv[1], &bytes) || bytes <= 0) return throw_arg(env, "procEventsSetRcvBuf: bad size");
  if (napi_get_value_bool(env, argv[2], &force) != napi_ok) return throw_arg(env, "procEventsSetRcvBuf: bad force");
  if (setsockopt(s->fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &bytes, sizeof bytes) < 0)
    return throw_errno(env, errno, "setsockopt SO_RCVBUF");
  return NULL;
}

int proc_events_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"procScan", NULL, proc_scan, NULL, NULL, NULL, napi_default, NULL},
      {"procEventsOpen", NULL, proc_events_open, NULL, NULL, NULL, napi_default, NULL},
      {"procEventsClose", NULL, proc_events_close, NULL, NULL, NULL, napi_default, NULL},
      {"procEventsStats", NULL, proc_events_stats, NULL, NULL, NULL, napi_default, NULL},
      {"procEventsSetRcvBuf", NULL, proc_events_set_rcvbuf, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
