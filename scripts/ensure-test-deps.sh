#!/usr/bin/env bash
# Installs the Debian packages a test layer needs, when missing, so `npm test` works on a fresh
# machine as root. Usage: ensure-test-deps.sh netns|vm|bench|package
set -euo pipefail
layer=${1:?usage: ensure-test-deps.sh netns|vm|bench|package|samples}
case $layer in
  # prometheus: its promtool checks the metrics endpoint's output and the shipped alert rules
  netns) pkgs=(iproute2 keepalived tcpdump nftables arptables iputils-ping curl procps psmisc busybox-static python3-aiosmtpd prometheus) ;;
  # bird2: the BGP router and directors of the scale-out lab (test/vm/bgp/, bench/scale-out.ts)
  vm) pkgs=(qemu-system-x86 busybox-static ipvsadm xz-utils zstd iproute2 cpio keepalived nftables curl procps psmisc python3-aiosmtpd bird2) ;;
  bench) pkgs=(iproute2 keepalived tcpdump ipvsadm qemu-system-x86 busybox-static procps bird2) ;;
  # the unit layer's check of Debian's keepalived samples (/usr/share/doc/keepalived/samples)
  samples) pkgs=(keepalived) ;;
  # the .deb test: man(1) for `man -l` and for systemd-analyze's check of the unit's man pages
  package) pkgs=(man-db systemd init-system-helpers) ;;
  *) echo "ensure-test-deps: unknown layer $layer" >&2; exit 2 ;;
esac
if [[ $(id -u) != 0 ]]; then
  echo "ensure-test-deps: the $layer tests need root (network namespaces, raw sockets, QEMU, mounts)" >&2
  exit 1
fi
missing=()
for p in "${pkgs[@]}"; do
  # Only busybox-static is ever asked for: the VM's initramfs needs it, and it conflicts with busybox.
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ensure-test-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# keepalived's package starts a service on install on some images; the tests run their own. Only
# the service this install started is stopped (by its unit, else by the package's pid file): never
# by name, which would kill other keepalived processes on a shared machine.
if [[ " ${missing[*]:-} " == *" keepalived "* ]]; then
  if command -v systemctl >/dev/null 2>&1; then systemctl stop keepalived >/dev/null 2>&1 || true; fi
  if [[ -s /run/keepalived.pid ]]; then kill "$(cat /run/keepalived.pid)" >/dev/null 2>&1 || true; fi
fi
# bird2's package starts a BIRD service on install; the labs run their own BIRDs in namespaces.
# Stop the service this install started, by its unit.
if [[ " ${missing[*]:-} " == *" bird2 "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop bird >/dev/null 2>&1 || true
fi
# prometheus's package starts a Prometheus server (port 9090) on install; the tests only need
# promtool. Stop the service this install started, by its unit.
if [[ " ${missing[*]:-} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop prometheus prometheus-node-exporter >/dev/null 2>&1 || true
fi
