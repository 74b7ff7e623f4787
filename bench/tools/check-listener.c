// SPDX-License-Identifier: Apache-2.0
/*
 * The real servers of bench/checks: one epoll listener on port 80 that answers for every address
 * routed to its namespace (a `local` route), accepts and closes. Each second it prints one line:
 *   <accepts> <p50 gap ms> <p99 gap ms> <max gap ms> <addresses seen so far>
 * where a gap is the time between two accepted connections to the same address, i.e. how often
 * each real server is really checked. Addresses are 10.20.x.y, indexed by their low 16 bits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKET_MS 10
#define BUCKETS 2000 /* up to 20 s; longer gaps land in the last bucket */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int pct(const long *h, long n, double p) {
  long want = (long)(p * (double)n), seen = 0;
  for (int i = 0; i < BUCKETS; i++) {
    seen += h[i];
    if (seen > want) return (i + 1) * BUCKET_MS;
  }
  return BUCKETS * BUCKET_MS;
}

int main(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 65535)) {
    perror("listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  static double last_seen[65536];
  static long hist[BUCKETS];
  long count = 0, gaps = 0, seen = 0, max_gap = 0;
  double last = now_ms();
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    struct epoll_event out[8];
    epoll_wait(ep, out, 8, 200);
    double t = now_ms();
    for (;;) {
      int c = accept4(s, NULL, NULL, SOCK_NONBLOCK);
      if (c < 0) break;
      struct sockaddr_in local;
      socklen_t len = sizeof local;
      if (getsockname(c, (struct sockaddr *)&local, &len) == 0) {
        unsigned idx = ntohl(local.sin_addr.s_addr) & 0xffff;
        if (last_seen[idx] > 0) {
          long g = (long)(t - last_seen[idx]);
          int b = (int)(g / BUCKET_MS);
          hist[b < BUCKETS ? b : BUCKETS - 1]++;
          gaps++;
          if (g > max_gap) max_gap = g;
        } else {
          seen++;
        }
        last_seen[idx] = t;
      }
      close(c);
      count++;
    }
    if (t - last >= 1000) {
      printf("%ld %d %d %ld %ld\n", count, gaps ? pct(hist, gaps, 0.5) : 0, gaps ? pct(hist, gaps, 0.99) : 0, max_gap,
             seen);
      count = gaps = max_gap = 0;
      memset(hist, 0, sizeof hist);
      last = t;
    }
  }
}
