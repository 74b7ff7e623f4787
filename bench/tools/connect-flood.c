// SPDX-License-Identifier: Apache-2.0
/*
 * The ceiling of bench/checks: the least a TCP_CHECK can cost, with no checker around it. Connects
 * to 10.20.x.y:80 (N addresses, round robin) as fast as the machine allows, at most 512 in
 * flight, for S seconds, closing each connection with a FIN (as keepalived does) or a RST (as
 * lvsd's engine does). Prints "<connected per second> <CPU % of one CPU>" at the end.
 * Usage: connect-flood N SECONDS fin|rst
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int n = atoi(argv[1]), secs = atoi(argv[2]), rst = strcmp(argv[3], "rst") == 0;
  int ep = epoll_create1(0), inflight = 0, next = 0;
  long ok = 0;
  double t0 = now_s();
  while (now_s() - t0 < secs) {
    while (inflight < 512) {
      int i = next++ % n;
      struct sockaddr_in a;
      memset(&a, 0, sizeof a);
      a.sin_family = AF_INET;
      a.sin_port = htons(80);
      a.sin_addr.s_addr = htonl((10u << 24) | (20u << 16) | ((unsigned)(i / 250) << 8) | (unsigned)(i % 250 + 1));
      int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (s < 0) break;
      if (connect(s, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(s);
        continue;
      }
      struct epoll_event ev = {.events = EPOLLOUT, .data.fd = s};
      epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
      inflight++;
    }
    struct epoll_event out[256];
    int k = epoll_wait(ep, out, 256, 100);
    for (int j = 0; j < k; j++) {
      int s = out[j].data.fd, e = 0;
      socklen_t l = sizeof e;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l);
      if (!e) ok++;
      if (rst) {
        struct linger lg = {1, 0};
        setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      }
      close(s);
      inflight--;
    }
  }
  double el = now_s() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("%.0f %.1f\n", ok / el, cpu / el * 100);
  return 0;
}
