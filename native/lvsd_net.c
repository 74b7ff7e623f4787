// SPDX-License-Identifier: Apache-2.0
/*
 * lvsd_net: the small native addon that gives lvsd the sockets Node lacks.
 *
 *  - raw IPv4/IPv6 sockets for one IP protocol (112 VRRP, 51 AH, 58 ICMPv6), bound to a device, joined to
 *    multicast groups on an ifindex, TTL/hop limit 255 on send, multicast loop off, receiving with
 *    source, destination, ifindex and received TTL/hop limit (IP_PKTINFO/IP_RECVTTL,
 *    IPV6_RECVPKTINFO/IPV6_RECVHOPLIMIT) through uv_poll + recvmsg(MSG_DONTWAIT) until EAGAIN;
 *  - raw ICMP/ICMPv6 sockets that receive only echo replies (PING_CHECK);
 *  - sending to a multicast group or unicast peer with a chosen source address (IP_PKTINFO /
 *    IPV6_PKTINFO ancillary data) and, per packet, a TTL / hop limit (IP_TTL / IPV6_HOPLIMIT); an
 *    IPv4 socket opened "header included" (VRRP over IPsec AH, whose ICV covers the IP header) sends
 *    the IP header it is given (IP_HDRINCL) and receives whole IP packets;
 *  - AF_PACKET sockets: send a full Ethernet frame (gratuitous ARP, unsolicited NA) and, for tests
 *    and the failover bench, receive frames with kernel timestamps (SO_TIMESTAMPNS);
 *  - sd_notify: one AF_UNIX datagram to $NOTIFY_SOCKET (leading '@' = abstract namespace);
 *  - mkfifo(3), which Node lacks, for the notify FIFOs (src/script/fifo.io.ts opens them);
 *  - netlink sockets (src/netlink/socket.io.ts: rtnetlink requests and events, IPVS over generic
 *    netlink): datagrams to the kernel, and from it, a receive-queue overrun (ENOBUFS) reported
 *    and the socket going on; a run of requests each answered before the next is sent, in one call
 *    (exchangeNetlink: IPVS's per-service dumps);
 *  - a timerfd (CLOCK_MONOTONIC) polled like the sockets, for a deadline Node's millisecond timers
 *    cannot keep (src/net/precise-timers.io.ts: Master_Down).
 *
 * A socket error (POLLERR) makes libuv stop a poll handle: every socket here resumes it
 * (poll_resume_after_error), so no error ever leaves a socket unread.
 *
 * All protocol logic stays in TypeScript (src/net/raw-socket.ts is the only caller). This file runs
 * as root: every length read from the kernel or from JavaScript is bounded, every return checked,
 * and nothing blocks (sockets are non-blocking; reception is driven by the event loop, but for
 * exchangeNetlink's MSG_DONTWAIT reads of the answers it is waiting for).
 * Errors are thrown as JS Errors whose `code` is the errno name (e.g. "EPERM") or "EINVAL_ARG".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "napi_util.h"

#define RX_BUF 9216   /* larger than any VRRP packet or jumbo frame we care about */
#define RX_BATCH 64   /* bound on packets drained per readiness event */
#define CMSG_BUF 256
#define FAMILY_TIMER (-1) /* sock_t.family of a timerfd */

typedef struct sock {
  int fd;
  int family;      /* AF_INET, AF_INET6, AF_PACKET or AF_NETLINK */
  int refs;        /* 1 for the JS external, 1 while the poll handle is open */
  int polling;
  int closed;
  int keep_header; /* IPv4: deliver the IP header too (and send it: IP_HDRINCL) */
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;     /* JS callback(data, src, dst, ifindex, ttl, tsMs) */
  napi_async_context actx;
  /* packets dropped here, before JavaScript sees them (read by sockDrops) */
  uint64_t drop_oversize;   /* larger than RX_BUF (a fragmented or jumbo packet), or cmsg cut */
  uint64_t drop_bad_ip;     /* an IPv4 header too short or not version 4 */
} sock_t;

static void sock_unref(sock_t *s) {
  if (--s->refs == 0) free(s);
}

static napi_value make_buf(napi_env env, const void *p, size_t n) {
  napi_value b;
  void *dst;
  if (napi_create_buffer_copy(env, n, p, &dst, &b) != napi_ok) return NULL;
  return b;
}


/* ---------- receive path ---------- */

static void deliver(sock_t *s, const uint8_t *data, size_t len, const void *src, size_t srclen,
                    const void *dst, size_t dstlen, int ifindex, int ttl, double ts) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, argv[6], result;
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (napi_get_reference_value(env, s->cb, &cb) == napi_ok && cb && napi_get_global(env, &global) == napi_ok) {
    argv[0] = make_buf(env, data, len);
    argv[1] = src ? make_buf(env, src, srclen) : undef;
    argv[2] = dst ? make_buf(env, dst, dstlen) : undef;
    argv[3] = make_int(env, ifindex);
    argv[4] = make_int(env, ttl);
    napi_create_double(env, ts, &argv[5]);
    if (argv[0] && argv[1] && argv[2]) {
      napi_status st = napi_make_callback(env, s->actx, global, cb, 6, argv, &result);
      if (st == napi_pending_exception) {
        napi_value exc;
        napi_get_and_clear_last_exception(env, &exc);
        napi_fatal_exception(env, exc);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable_ip(sock_t *s) {
  static uint8_t buf[RX_BUF];
  for (int i = 0; i < RX_BATCH && !s->closed; i++) {
    union { struct sockaddr_in v4; struct sockaddr_in6 v6; } from;
    union { char b[CMSG_BUF]; struct cmsghdr align; } cbuf;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b};
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0) return; /* EAGAIN or a transient error: wait for the next readiness event */
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) { /* oversized: drop, counted */
      s->drop_oversize++;
      continue;
    }
    int ifindex = 0, ttl = -1;
    uint8_t dst[16];
    size_t dstlen = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      size_t dl = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && dl >= sizeof(struct in_pktinfo)) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = pi.ipi_ifindex;
        memcpy(dst, &pi.ipi_addr, 4);
        dstlen = 4;
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL && dl >= sizeof(int)) {
        memcpy(&ttl, CMSG_DATA(c), sizeof(int));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                 dl >= sizeof(struct in6_pktinfo)) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = (int)pi.ipi6_ifindex;
        memcpy(dst, &pi.ipi6_addr, 16);
        dstlen = 16;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT && dl >= sizeof(int)) {
        memcpy(&ttl, CMSG_DATA(c), sizeof(int));
      }
    }
    const uint8_t *payload = buf;
    size_t plen = (size_t)n;
    if (s->family == AF_INET) {
      /* IPv4 raw sockets deliver the IP header: strip it (bounded by what was received). */
      size_t ihl = plen < 20 ? 0 : (size_t)(buf[0] & 0x0f) * 4;
      if (plen < 20 || (buf[0] >> 4) != 4 || ihl < 20 || ihl > plen) {
        s->drop_bad_ip++;
        continue;
      }
      if (ttl < 0) ttl = buf[8];
      size_t tot = ((size_t)buf[2] << 8) | buf[3];
      if (tot >= ihl && tot < plen) plen = tot; /* ignore trailing bytes past the IP length */
      if (!s->keep_header) {
        payload = buf + ihl;
        plen -= ihl;
      }
      deliver(s, payload, plen, &from.v4.sin_addr, 4, dstlen ? dst : NULL, dstlen, ifindex, ttl, 0);
    } else {
      deliver(s, payload, plen, &from.v6.sin6_addr, 16, dstlen ? dst : NULL, dstlen, ifindex, ttl, 0);
    }
  }
}

static void on_readable_packet(sock_t *s) {
  static uint8_t buf[RX_BUF];
  for (int i = 0; i < RX_BATCH && !s->closed; i++) {
    struct sockaddr_ll from;
    union { char b[CMSG_BUF]; struct cmsghdr align; } cbuf;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b};
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0) return;
    if (mh.msg_flags & MSG_CTRUNC) continue;
    size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
    double ts = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      size_t dl = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS && dl >= sizeof(struct timespec)) {
        struct timespec t;
        memcpy(&t, CMSG_DATA(c), sizeof t);
        ts = (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
      }
    }
    /* ttl slot carries the packet type (PACKET_OUTGOING = 4, ...) for packet sockets. */
    deliver(s, buf, len, NULL, 0, NULL, 0, from.sll_ifindex, from.sll_pkttype, ts);
  }
}

/* A netlink socket's error (ENOBUFS: datagrams were lost; EMSGSIZE: one was cut): an empty
 * datagram whose `ttl` slot carries the errno. */
static void deliver_error(sock_t *s, int err) {
  static const uint8_t none[1];
  deliver(s, none, 0, NULL, 0, NULL, 0, 0, err, 0);
}

static void on_readable_netlink(sock_t *s) {
  /* a multicast event is at most a page or two; a link with many VFs can pass 9 KB */
  static uint8_t buf[65536];
  for (int i = 0; i < RX_BATCH && !s->closed; i++) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) { /* overrun reported by the read itself */
        deliver_error(s, ENOBUFS);
        continue;
      }
      return; /* EAGAIN: drained */
    }
    if (mh.msg_flags & MSG_TRUNC) { /* an event cut short is an event lost */
      s->drop_oversize++;
      deliver_error(s, EMSGSIZE);
      continue;
    }
    if (mh.msg_namelen != sizeof from || from.nl_pid != 0) continue; /* only the kernel speaks here */
    deliver(s, buf, (size_t)n, NULL, 0, NULL, 0, 0, 0, 0);
  }
}

/* The timer expired: read (and so clear) its expiry count, then call back with no data. */
static void on_readable_timer(sock_t *s) {
  uint64_t expirations;
  ssize_t n;
  do n = read(s->fd, &expirations, sizeof expirations);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof expirations) return; /* EAGAIN: disarmed or re-armed since it became readable */
  static const uint8_t none[1];
  deliver(s, none, 0, NULL, 0, NULL, 0, 0, 0, 0);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  if (s->closed) return;
  if (status < 0) {
    /* POLLERR stopped the handle: resume it, report a netlink socket's loss, then read on */
    int err = poll_resume_after_error(&s->poll, s->fd, on_poll);
    if (s->family == AF_NETLINK && err != 0) deliver_error(s, err);
    if (s->closed) return;
  } else if (!(events & UV_READABLE)) {
    return;
  }
  if (s->family == FAMILY_TIMER) on_readable_timer(s);
  else if (s->family == AF_PACKET) on_readable_packet(s);
  else if (s->family == AF_NETLINK) on_readable_netlink(s);
  else on_readable_ip(s);
}

static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  if (s->fd >= 0) close(s->fd); /* only now: the poll handle is gone */
  s->fd = -1;
  sock_unref(s);
}

static void sock_close(sock_t *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->cb) {
    napi_delete_reference(s->env, s->cb);
    s->cb = NULL;
  }
  if (s->actx) {
    napi_async_destroy(s->env, s->actx);
    s->actx = NULL;
  }
  if (s->polling) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
    s->polling = 0;
  } else if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = data;
  sock_close(s);
  sock_unref(s);
}

/* A set-up step failed: close the new socket and throw its errno (read before close can change it). */
static napi_value close_and_throw(napi_env env, int fd, const char *what) {
  int e = errno;
  close(fd);
  return throw_errno(env, e, what);
}

/* Wrap an open fd in a JS external; start polling when a callback is given. */
static napi_value wrap_sock(napi_env env, int fd, int family, napi_value cb, int keep_header) {
  sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->fd = fd;
  s->family = family;
  s->keep_header = keep_header;
  s->env = env;
  s->refs = 1;
  napi_value ext;
  if (napi_create_external(env, s, sock_finalize, NULL, &ext) != napi_ok) {
    close(fd);
    free(s);
    return throw_arg(env, "napi_create_external failed");
  }
  if (cb && !is_nullish(env, cb)) {
    uv_loop_t *loop;
    napi_value name;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok ||
        napi_create_reference(env, cb, 1, &s->cb) != napi_ok ||
        napi_create_string_utf8(env, "lvsd_net", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_async_init(env, NULL, name, &s->actx) != napi_ok) {
      sock_close(s);
      return throw_arg(env, "cannot set up the receive callback");
    }
    int rc = uv_poll_init(loop, &s->poll, fd);
    if (rc == 0) {
      s->poll.data = s;
      s->polling = 1;
      s->refs++;
      rc = uv_poll_start(&s->poll, UV_READABLE, on_poll);
    }
    if (rc != 0) {
      sock_close(s);
      return throw_errno(env, -rc, "uv_poll");
    }
  }
  return ext;
}

static sock_t *get_sock(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) return NULL;
  sock_t *s = p;
  return s->closed ? NULL : s;
}

/* ---------- openIp(family, protocol, ifname, ifindex, groups[], recv cb|null, csumOffset[, headerIncluded]) ---------- */

static napi_value open_ip(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return throw_arg(env, "openIp: 7 arguments expected");
  bool hdrincl = false;
  if (argc >= 8 && !is_nullish(env, argv[7]) && napi_get_value_bool(env, argv[7], &hdrincl) != napi_ok)
    return throw_arg(env, "headerIncluded must be a boolean");
  int32_t fam, proto, ifindex, csum;
  char ifname[IFNAMSIZ + 1]; /* one spare byte: a 16-char (too long) name is seen, not truncated */
  size_t iflen = 0;
  if (!get_i32(env, argv[0], &fam) || (fam != 4 && fam != 6)) return throw_arg(env, "family must be 4 or 6");
  if (hdrincl && fam != 4) return throw_arg(env, "headerIncluded is IPv4 only");
  if (!get_i32(env, argv[1], &proto) || proto < 1 || proto > 255) return throw_arg(env, "bad protocol");
  if (napi_get_value_string_utf8(env, argv[2], ifname, sizeof ifname, &iflen) != napi_ok || iflen == 0 ||
      iflen >= IFNAMSIZ)
    return throw_arg(env, "bad interface name");
  if (!get_i32(env, argv[3], &ifindex) || ifindex <= 0) return throw_arg(env, "bad ifindex");
  if (!get_i32(env, argv[6], &csum) || csum < -1 || csum > 64) return throw_arg(env, "bad checksum offset");
  uint32_t ngroups = 0;
  bool isarr = false;
  if (napi_is_array(env, argv[4], &isarr) != napi_ok || !isarr || napi_get_array_length(env, argv[4], &ngroups) != napi_ok ||
      ngroups > 16)
    return throw_arg(env, "groups must be an array of at most 16 addresses");

  int af = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1, zero = 0, hops = 255;
#define SETOPT(lvl, opt, val)                                            \
  if (setsockopt(fd, lvl, opt, &(val), sizeof(val)) < 0) {               \
    return close_and_throw(env, fd, "setsockopt " #opt);                 \
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)iflen + 1) < 0) {
    return close_and_throw(env, fd, "setsockopt SO_BINDTODEVICE");
  }
  if (af == AF_INET) {
    struct ip_mreqn mif = {.imr_ifindex = ifindex};
    int tos = 0xc0;
    SETOPT(IPPROTO_IP, IP_MULTICAST_IF, mif);
    SETOPT(IPPROTO_IP, IP_MULTICAST_TTL, hops);
    SETOPT(IPPROTO_IP, IP_TTL, hops);
    SETOPT(IPPROTO_IP, IP_MULTICAST_LOOP, zero);
    SETOPT(IPPROTO_IP, IP_PKTINFO, one);
    SETOPT(IPPROTO_IP, IP_RECVTTL, one);
    SETOPT(IPPROTO_IP, IP_TOS, tos);
    if (hdrincl) SETOPT(IPPROTO_IP, IP_HDRINCL, one);
  } else {
    SETOPT(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
    SETOPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops);
    SETOPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops);
    SETOPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, zero);
    SETOPT(IPPROTO_IPV6, IPV6_RECVPKTINFO, one);
    SETOPT(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, one);
    if (csum >= 0 && proto != IPPROTO_ICMPV6) SETOPT(IPPROTO_IPV6, IPV6_CHECKSUM, csum);
  }
  for (uint32_t i = 0; i < ngroups; i++) {
    napi_value g;
    void *gd;
    size_t gl;
    if (napi_get_element(env, argv[4], i, &g) != napi_ok || !get_buf(env, g, &gd, &gl) ||
        gl != (af == AF_INET ? 4u : 16u)) {
      close(fd);
      return throw_arg(env, "group address must be a 4- or 16-byte Buffer matching the family");
    }
    if (af == AF_INET) {
      struct ip_mreqn m = {.imr_ifindex = ifindex};
      memcpy(&m.imr_multiaddr, gd, 4);
      SETOPT(IPPROTO_IP, IP_ADD_MEMBERSHIP, m);
    } else {
      struct ipv6_mreq m = {.ipv6mr_interface = (unsigned)ifindex};
      memcpy(&m.ipv6mr_multiaddr, gd, 16);
      SETOPT(IPPROTO_IPV6, IPV6_JOIN_GROUP, m);
    }
  }
#undef SETOPT
  if (is_nullish(env, argv[5])) {
    /* send-only: shrink the receive buffer so unread packets cannot pile up */
    int small = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  return wrap_sock(env, fd, af, argv[5], hdrincl ? 1 : 0);
}

/* ---------- openIcmp(family, bindIf|null, cb) -> sock ----------
 * A raw ICMP (IPv4) or ICMPv6 socket for PING_CHECK: not bound to a device unless bindIf is given,
 * routed as any socket, receiving only echo replies (ICMP_FILTER / ICMP6_FILTER, so the callback
 * never sees the rest of the host's ICMP traffic). Echo requests are sent with sendIp; the kernel
 * fills the ICMPv6 checksum, the caller the ICMP one. A raw socket (CAP_NET_RAW, which lvsd has
 * for VRRP) rather than an unprivileged ping socket: those need net.ipv4.ping_group_range, a
 * host-wide sysctl that keepalived rewrites and lvsd leaves alone. */

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#define ICMP_ECHOREPLY_TYPE 0
#define ICMP6_ECHO_REPLY_TYPE 129
#ifndef ICMP6_FILTER
#define ICMP6_FILTER 1
#endif

static napi_value open_icmp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_arg(env, "openIcmp: 3 arguments expected");
  int32_t fam;
  if (!get_i32(env, argv[0], &fam) || (fam != 4 && fam != 6)) return throw_arg(env, "family must be 4 or 6");
  char ifname[IFNAMSIZ + 1];
  size_t iflen = 0;
  if (!is_nullish(env, argv[1]) &&
      (napi_get_value_string_utf8(env, argv[1], ifname, sizeof ifname, &iflen) != napi_ok || iflen == 0 ||
       iflen >= IFNAMSIZ))
    return throw_arg(env, "bad interface name");
  int af = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  int rc = 0;
  if (iflen > 0) rc = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)iflen + 1);
  if (rc == 0 && af == AF_INET) {
    uint32_t blocked = ~(1u << ICMP_ECHOREPLY_TYPE); /* a set bit blocks that type */
    rc = setsockopt(fd, IPPROTO_RAW, ICMP_FILTER, &blocked, sizeof blocked);
    if (rc == 0) rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    if (rc == 0) rc = setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
  } else if (rc == 0) {
    uint32_t filt[8]; /* struct icmp6_filter: a set bit blocks that type */
    memset(filt, 0xff, sizeof filt);
    filt[ICMP6_ECHO_REPLY_TYPE >> 5] &= ~(1u << (ICMP6_ECHO_REPLY_TYPE & 31));
    rc = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, filt, sizeof filt);
    if (rc == 0) rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    if (rc == 0) rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
  }
  if (rc < 0) {
    return close_and_throw(env, fd, "setsockopt (ICMP socket)");
  }
  return wrap_sock(env, fd, af, argv[2], 0);
}

/* ---------- sendIp(sock, data, dst, src|null, ifindex[, ttl]) -> bytes ---------- */

/* Append one control message to `mh` (whose msg_control has room for CMSG_BUF bytes). */
static void add_cmsg(struct msghdr *mh, int level, int type, const void *data, size_t len) {
  struct cmsghdr *c = (struct cmsghdr *)((char *)mh->msg_control + mh->msg_controllen);
  memset(c, 0, CMSG_SPACE(len));
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  memcpy(CMSG_DATA(c), data, len);
  mh->msg_controllen += CMSG_SPACE(len);
}

static napi_value send_ip(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_arg(env, "sendIp: 5 arguments expected");
  sock_t *s = get_sock(env, argv[0]);
  if (!s || s->family == AF_PACKET) return throw_arg(env, "sendIp: not an open IP socket");
  void *data, *dst, *src = NULL;
  size_t dlen, dstlen, srclen = 0;
  int32_t ifindex, ttl = -1;
  size_t alen = s->family == AF_INET ? 4 : 16;
  if (!get_buf(env, argv[1], &data, &dlen) || dlen == 0 || dlen > 65000) return throw_arg(env, "bad payload");
  if (!get_buf(env, argv[2], &dst, &dstlen) || dstlen != alen) return throw_arg(env, "bad destination");
  if (!is_nullish(env, argv[3]) && (!get_buf(env, argv[3], &src, &srclen) || srclen != alen))
    return throw_arg(env, "bad source");
  if (!get_i32(env, argv[4], &ifindex) || ifindex < 0) return throw_arg(env, "bad ifindex");
  /* a TTL / hop limit for this packet only (unicast_ttl); -1 = the socket's (255) */
  if (argc >= 6 && !is_nullish(env, argv[5]) && (!get_i32(env, argv[5], &ttl) || ttl < -1 || ttl > 255))
    return throw_arg(env, "bad ttl");

  union { char b[CMSG_BUF]; struct cmsghdr align; } cbuf;
  memset(&cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = data, .iov_len = dlen};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = 0};
  struct sockaddr_in to4 = {.sin_family = AF_INET};
  struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};
  if (s->family == AF_INET) {
    memcpy(&to4.sin_addr, dst, 4);
    mh.msg_name = &to4;
    mh.msg_namelen = sizeof to4;
  } else {
    memcpy(&to6.sin6_addr, dst, 16);
    to6.sin6_scope_id = (uint32_t)ifindex;
    mh.msg_name = &to6;
    mh.msg_namelen = sizeof to6;
  }
  if (src || ifindex > 0) {
    if (s->family == AF_INET) {
      struct in_pktinfo pi = {.ipi_ifindex = ifindex};
      if (src) memcpy(&pi.ipi_spec_dst, src, 4);
      add_cmsg(&mh, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    } else {
      struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};
      if (src) memcpy(&pi.ipi6_addr, src, 16);
      add_cmsg(&mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
    }
  }
  if (ttl >= 0) {
    int v = ttl;
    if (s->family == AF_INET) add_cmsg(&mh, IPPROTO_IP, IP_TTL, &v, sizeof v);
    else add_cmsg(&mh, IPPROTO_IPV6, IPV6_HOPLIMIT, &v, sizeof v);
  }
  if (mh.msg_controllen == 0) mh.msg_control = NULL;
  ssize_t n = sendmsg(s->fd, &mh, MSG_DONTWAIT);
  if (n < 0) return throw_errno(env, errno, "sendmsg");
  return make_int(env, n);
}

/* ---------- openPacket(ifindex, ethertype, recv cb|null) ---------- */

static napi_value open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_arg(env, "openPacket: 3 arguments expected");
  int32_t ifindex, etype;
  if (!get_i32(env, argv[0], &ifindex) || ifindex <= 0) return throw_arg(env, "bad ifindex");
  if (!get_i32(env, argv[1], &etype) || etype < 0 || etype > 0xffff) return throw_arg(env, "bad ethertype");
  int recv = !is_nullish(env, argv[2]);
  /* A send-only socket gets protocol 0, so the kernel queues nothing to it. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, recv ? htons((uint16_t)etype) : 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET)");
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex,
                            .sll_protocol = recv ? htons((uint16_t)etype) : 0};
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    return close_and_throw(env, fd, "bind(AF_PACKET)");
  }
  if (recv) {
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
      return close_and_throw(env, fd, "setsockopt SO_TIMESTAMPNS");
    }
  }
  return wrap_sock(env, fd, AF_PACKET, argv[2], 0);
}

/* ---------- sendPacket(sock, ifindex, frame) -> bytes ---------- */

static napi_value send_packet(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_arg(env, "sendPacket: 3 arguments expected");
  sock_t *s = get_sock(env, argv[0]);
  if (!s || s->family != AF_PACKET) return throw_arg(env, "sendPacket: not an open packet socket");
  int32_t ifindex;
  void *frame;
  size_t flen;
  if (!get_i32(env, argv[1], &ifindex) || ifindex <= 0) return throw_arg(env, "bad ifindex");
  if (!get_buf(env, argv[2], &frame, &flen) || flen < 14 || flen > 9000) return throw_arg(env, "bad frame");
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
  const uint8_t *f = frame;
  memcpy(to.sll_addr, f, 6);
  memcpy(&to.sll_protocol, f + 12, 2);
  ssize_t n = sendto(s->fd, frame, flen, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  if (n < 0) return throw_errno(env, errno, "sendto(AF_PACKET)");
  return make_int(env, n);
}

/* ---------- openNetlink(protocol, groups[], rcvbufBytes, recv cb, sndbufBytes) ---------- */

/* as root past net.core.[rw]mem_max (SO_*BUFFORCE), else as far as they allow */
static int set_buf(int fd, int force_opt, int opt, int32_t bytes) {
  if (bytes <= 0) return 0;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

static napi_value open_netlink(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_arg(env, "openNetlink: 5 arguments expected");
  int32_t proto, rcvbuf, sndbuf;
  if (!get_i32(env, argv[0], &proto) || proto < 0 || proto >= MAX_LINKS) return throw_arg(env, "bad netlink protocol");
  bool is_array = false;
  uint32_t ngroups = 0;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &ngroups) != napi_ok || ngroups > 32)
    return throw_arg(env, "openNetlink: groups must be an array of at most 32 numbers");
  uint32_t groups[32];
  for (uint32_t i = 0; i < ngroups; i++) {
    napi_value g;
    int32_t gv;
    if (napi_get_element(env, argv[1], i, &g) != napi_ok || !get_i32(env, g, &gv) || gv <= 0)
      return throw_arg(env, "openNetlink: bad group");
    groups[i] = (uint32_t)gv;
  }
  if (!get_i32(env, argv[2], &rcvbuf) || rcvbuf < 0) return throw_arg(env, "bad receive buffer size");
  if (is_nullish(env, argv[3])) return throw_arg(env, "openNetlink: a receive callback is needed");
  if (!get_i32(env, argv[4], &sndbuf) || sndbuf < 0) return throw_arg(env, "bad send buffer size");
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_NETLINK)");
  if (set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf) < 0 || set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf) < 0) {
    return close_and_throw(env, fd, "setsockopt SO_RCVBUF/SO_SNDBUF");
  }
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK}; /* nl_pid 0: the kernel picks the port */
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    return close_and_throw(env, fd, "bind(AF_NETLINK)");
  }
  for (uint32_t i = 0; i < ngroups; i++) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof groups[i]) < 0) {
      return close_and_throw(env, fd, "setsockopt NETLINK_ADD_MEMBERSHIP");
    }
  }
  return wrap_sock(env, fd, AF_NETLINK, argv[3], 0);
}

/* ---------- sendNetlink(sock, datagram) -> bytes: to the kernel (port 0) ---------- */

static napi_value send_netlink(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc < 2 ? NULL : get_sock(env, argv[0]);
  if (!s || s->family != AF_NETLINK) return throw_arg(env, "sendNetlink: not an open netlink socket");
  void *data;
  size_t len;
  if (!get_buf(env, argv[1], &data, &len) || len < NLMSG_HDRLEN) return throw_arg(env, "sendNetlink: bad datagram");
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t n;
  do {
    n = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendto(AF_NETLINK)");
  return make_int(env, n);
}

/* ---------- exchangeNetlink(sock, requests[, maxBytes]) -> { received, sent, answered, errno } ----------
 *
 * Each request of `requests` (netlink messages back to back, each asking for a dump or an ACK) is
 * sent alone, and the kernel's answer read until that request's NLMSG_DONE or NLMSG_ERROR, before the
 * next is sent: what a run of dumps needs (a socket runs one dump at a time), without a turn of the
 * event loop per request (src/netlink/genl.ts exchangeEach). Nothing blocks: every call is
 * MSG_DONTWAIT. The kernel fills a dump's parts while the request is sent and while its parts are
 * read, so a request is nearly always answered here; when the socket runs dry first, this returns with
 * that request sent but not answered (`sent` = `answered` + 1) and the rest of its answer reaches the
 * socket's callback as usual. `received`: every datagram read, back to back, each padded to 4 bytes
 * (what a datagram of netlink messages already is), including any for other requests. `errno`: a
 * failed send (that request not sent), a receive-queue overrun (ENOBUFS) or a cut datagram (EMSGSIZE);
 * 0 otherwise. No request is sent once `maxBytes` (optional; at most RX_OUT_MAX) have been read: a
 * batch of large dumps returns early, its caller decoding at most that much in one go.
 */

#define RX_OUT_MAX (64u << 20)

typedef struct {
  uint8_t *p;
  size_t len, cap;
} growbuf_t;

static int growbuf_append(growbuf_t *g, const uint8_t *data, size_t n) {
  size_t padded = (n + 3u) & ~(size_t)3u;
  if (g->len + padded > g->cap) {
    size_t cap = g->cap ? g->cap : 65536;
    while (cap < g->len + padded) cap *= 2;
    uint8_t *p = realloc(g->p, cap);
    if (!p) return -1;
    g->p = p;
    g->cap = cap;
  }
  memcpy(g->p + g->len, data, n);
  memset(g->p + g->len + n, 0, padded - n);
  g->len += padded;
  return 0;
}

/* Whether `data` holds the end of the answer to `seq`: its NLMSG_DONE or NLMSG_ERROR. */
static int answer_ends(const uint8_t *data, size_t n, uint32_t seq) {
  size_t off = 0;
  while (off + NLMSG_HDRLEN <= n) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(data + off);
    if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > n - off) return 0;
    if (h->nlmsg_seq == seq && (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)) return 1;
    off += NLMSG_ALIGN(h->nlmsg_len);
  }
  return 0;
}

static napi_value exchange_netlink(napi_env env, napi_callback_info info) {
  static uint8_t buf[65536];
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc < 2 ? NULL : get_sock(env, argv[0]);
  if (!s || s->family != AF_NETLINK || s->closed) return throw_arg(env, "exchangeNetlink: not an open netlink socket");
  uint8_t *req;
  size_t reqlen;
  if (!get_buf(env, argv[1], (void **)&req, &reqlen)) return throw_arg(env, "exchangeNetlink: requests must be a Buffer");
  size_t max_out = RX_OUT_MAX;
  if (argc >= 3 && !is_nullish(env, argv[2])) {
    int32_t m;
    if (!get_i32(env, argv[2], &m) || m <= 0) return throw_arg(env, "exchangeNetlink: maxBytes must be a positive number");
    if ((size_t)m < max_out) max_out = (size_t)m;
  }
  /* validate every request before sending any */
  for (size_t off = 0; off < reqlen;) {
    if (reqlen - off < NLMSG_HDRLEN) return throw_arg(env, "exchangeNetlink: a request is cut short");
    const struct nlmsghdr *h = (const struct nlmsghdr *)(req + off);
    if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > reqlen - off)
      return throw_arg(env, "exchangeNetlink: a request's length is wrong");
    if (!(h->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP)))
      return throw_arg(env, "exchangeNetlink: a request asks for neither a dump nor an ACK");
    off += NLMSG_ALIGN(h->nlmsg_len);
  }
  growbuf_t out = {0};
  int err = 0;
  int64_t sent = 0, answered = 0;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  for (size_t off = 0; off < reqlen && !err && out.len < max_out;) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(req + off);
    size_t len = h->nlmsg_len;
    uint32_t seq = h->nlmsg_seq;
    ssize_t n;
    do {
      n = sendto(s->fd, req + off, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      err = errno;
      break;
    }
    sent++;
    off += NLMSG_ALIGN(len);
    int ended = 0;
    while (!ended && !err) {
      struct sockaddr_nl from;
      struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
      struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
      n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break; /* EAGAIN: the rest of this answer comes through the poll handle */
      }
      if (mh.msg_flags & MSG_TRUNC) {
        s->drop_oversize++;
        err = EMSGSIZE;
        break;
      }
      if (mh.msg_namelen != sizeof from || from.nl_pid != 0) continue; /* only the kernel speaks here */
      if (growbuf_append(&out, buf, (size_t)n) < 0) {
        err = ENOMEM;
        break;
      }
      ended = answer_ends(buf, (size_t)n, seq);
    }
    if (!ended) break;
    answered++;
  }
  napi_value result, received;
  void *dst;
  napi_status st = napi_create_buffer_copy(env, out.len, out.len ? (void *)out.p : (void *)"", &dst, &received);
  free(out.p);
  if (st != napi_ok) return throw_arg(env, "exchangeNetlink: cannot make the result buffer");
  NAPI_OK(napi_create_object(env, &result));
  NAPI_OK(napi_set_named_property(env, result, "received", received));
  NAPI_OK(napi_set_named_property(env, result, "sent", make_int(env, sent)));
  NAPI_OK(napi_set_named_property(env, result, "answered", make_int(env, answered)));
  NAPI_OK(napi_set_named_property(env, result, "errno", make_int(env, err)));
  return result;
}

/* ---------- netlinkPort(sock) -> the port id the kernel gave the socket ---------- */

static napi_value netlink_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc < 1 ? NULL : get_sock(env, argv[0]);
  if (!s || s->family != AF_NETLINK) return throw_arg(env, "netlinkPort: not an open netlink socket");
  struct sockaddr_nl sa;
  socklen_t len = sizeof sa;
  if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) return throw_errno(env, errno, "getsockname");
  return make_int(env, sa.nl_pid);
}

/* ---------- openTimer(cb) -> a timerfd calling cb() at each expiry; setTimer(timer, delayMs) ---------- */

static napi_value open_timer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || is_nullish(env, argv[0])) return throw_arg(env, "openTimer: a callback expected");
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "timerfd_create");
  return wrap_sock(env, fd, FAMILY_TIMER, argv[0], 0);
}

/* delayMs > 0: expire once, that long from now (nanosecond resolution); 0: at once; < 0: disarm. */
static napi_value set_timer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double ms;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc < 2 ? NULL : get_sock(env, argv[0]);
  if (!s || s->family != FAMILY_TIMER || napi_get_value_double(env, argv[1], &ms) != napi_ok || ms != ms ||
      ms > 1e12)
    return throw_arg(env, "setTimer: a timer and a delay in ms expected");
  struct itimerspec its = {0};
  if (ms >= 0) {
    int64_t ns = (int64_t)(ms * 1e6);
    if (ns < 1) ns = 1; /* an all-zero it_value would disarm it */
    its.it_value.tv_sec = (time_t)(ns / 1000000000);
    its.it_value.tv_nsec = (long)(ns % 1000000000);
  }
  if (timerfd_settime(s->fd, 0, &its, NULL) < 0) return throw_errno(env, errno, "timerfd_settime");
  return NULL;
}

/* ---------- keepLoopAlive(sock, on): whether the socket alone keeps the event loop running ---------- */

static napi_value keep_loop_alive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc < 2 ? NULL : get_sock(env, argv[0]);
  bool on = false;
  if (!s || napi_get_value_bool(env, argv[1], &on) != napi_ok) return throw_arg(env, "keepLoopAlive: bad arguments");
  if (s->polling) {
    if (on) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

/* ---------- close(sock) ---------- */

static napi_value close_sock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || !p) return throw_arg(env, "close: bad socket");
  sock_close(p);
  return NULL;
}

/* ---------- sockDrops(sock) -> [oversize, badIpHeader] ---------- */

static napi_value sock_drops(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *p = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&p) != napi_ok || !p)
    return throw_arg(env, "sockDrops: bad socket");
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, 2, &arr));
  napi_set_element(env, arr, 0, make_int(env, (int64_t)p->drop_oversize));
  napi_set_element(env, arr, 1, make_int(env, (int64_t)p->drop_bad_ip));
  return arr;
}

/* ---------- sdNotify(path, message) -> bytes ---------- */

static napi_value sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_arg(env, "sdNotify: 2 arguments expected");
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  char path[sizeof sun.sun_path + 1];
  size_t plen = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok || plen < 2 ||
      plen >= sizeof sun.sun_path)
    return throw_arg(env, "bad NOTIFY_SOCKET path");
  if (path[0] != '/' && path[0] != '@') return throw_arg(env, "NOTIFY_SOCKET must be absolute or abstract");
  void *msg;
  size_t mlen;
  if (!get_buf(env, argv[1], &msg, &mlen) || mlen == 0 || mlen > 4096) return throw_arg(env, "bad message");
  memcpy(sun.sun_path, path, plen);
  if (path[0] == '@') sun.sun_path[0] = '\0';
  socklen_t slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_UNIX)");
  ssize_t n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sun, slen);
  int e = errno;
  close(fd);
  if (n < 0) return throw_errno(env, e, "sendto(NOTIFY_SOCKET)");
  return make_int(env, n);
}

/* ---------- ifNameToIndex(name) -> index (0 when absent) ---------- */

static napi_value if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || len == 0 ||
      len >= IFNAMSIZ)
    return throw_arg(env, "bad interface name");
  return make_int(env, if_nametoindex(name));
}

/* ---------- mkfifo(path, mode): mkfifo(3), the mode less the umask ---------- */

static napi_value make_fifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_arg(env, "mkfifo: 2 arguments expected");
  char path[4096];
  /* refused rather than created somewhere else (get_path) */
  if (!get_path(env, argv[0], path, sizeof path)) return throw_arg(env, "mkfifo: bad path");
  int32_t mode = 0;
  if (!get_i32(env, argv[1], &mode) || mode < 0 || mode > 0777) return throw_arg(env, "mkfifo: bad mode");
  if (mkfifo(path, (mode_t)mode) != 0) return throw_errno(env, errno, "mkfifo");
  return NULL;
}

/*
 * The addon stays loaded for the life of the process. Node unloads an addon (dlclose) when the last
 * environment that loaded it ends (a worker thread terminated), but a poll handle closed in that
 * environment's last moments still has its close callback (on_poll_closed, watch_closed, ...) queued
 * in the loop, which then ran into unmapped code (a SIGSEGV in uv__finish_close). A second reference
 * with RTLD_NODELETE keeps the code mapped; the memory it frees is malloc's, not the library's.
 */
static void stay_loaded(void) {
  Dl_info self;
  if (dladdr((void *)&stay_loaded, &self) && self.dli_fname) (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

static napi_value init(napi_env env, napi_value exports) {
  stay_loaded();
  napi_property_descriptor props[] = {
      {"openIp", NULL, open_ip, NULL, NULL, NULL, napi_default, NULL},
      {"openIcmp", NULL, open_icmp, NULL, NULL, NULL, napi_default, NULL},
      {"sendIp", NULL, send_ip, NULL, NULL, NULL, napi_default, NULL},
      {"openPacket", NULL, open_packet, NULL, NULL, NULL, napi_default, NULL},
      {"sendPacket", NULL, send_packet, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_sock, NULL, NULL, NULL, napi_default, NULL},
      {"sockDrops", NULL, sock_drops, NULL, NULL, NULL, napi_default, NULL},
      {"sdNotify", NULL, sd_notify, NULL, NULL, NULL, napi_default, NULL},
      {"ifNameToIndex", NULL, if_index, NULL, NULL, NULL, napi_default, NULL},
      {"mkfifo", NULL, make_fifo, NULL, NULL, NULL, napi_default, NULL},
      {"openNetlink", NULL, open_netlink, NULL, NULL, NULL, napi_default, NULL},
      {"keepLoopAlive", NULL, keep_loop_alive, NULL, NULL, NULL, napi_default, NULL},
      {"sendNetlink", NULL, send_netlink, NULL, NULL, NULL, napi_default, NULL},
      {"netlinkPort", NULL, netlink_port, NULL, NULL, NULL, napi_default, NULL},
      {"exchangeNetlink", NULL, exchange_netlink, NULL, NULL, NULL, napi_default, NULL},
      {"openTimer", NULL, open_timer, NULL, NULL, NULL, napi_default, NULL},
      {"setTimer", NULL, set_timer, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (!tcp_engine_register(env, exports)) return NULL;
  if (!process_control_register(env, exports)) return NULL;
  if (!proc_events_register(env, exports)) return NULL;
  if (!script_spawn_register(env, exports)) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
