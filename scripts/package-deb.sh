#!/usr/bin/env bash
# `npm run package`: dist/lvsd_VERSION_ARCH.deb, built with dpkg-deb from this checkout (no
# debhelper, no root needed: --root-owner-group). What goes where:
#   /usr/lib/lvsd/                 the bundled code (dist/bundle/lvsd), package.json, bin/lvsd, the native
#                                  addon (build/Release/lvsd_net.node), production node_modules
#                                  (npm ci --omit=dev from the lock file), and node/ (the bundled
#                                  Node.js, scripts/bundled-node.sh; why: docs/operations.md)
#   /usr/sbin/lvsd                 -> ../lib/lvsd/bin/lvsd, whose #! names the bundled node
#   /lib/systemd/system/lvsd.service       systemd/lvsd.service
#   /etc/lvsd/lvsd.conf, /etc/default/lvsd conffiles: packaging/lvsd.conf, packaging/default
#   /usr/share/man/man8/lvsd.8.gz, man5/lvsd.conf.5.gz    scripts/man.sh
#   /usr/share/bash-completion/completions/lvsd           `lvsd completion bash`
#   /usr/share/doc/lvsd/           README, operations and config docs, copyright, examples (etc/:
#                                  sample configs, alert rules, Grafana dashboard)
# Maintainer scripts: packaging/deb/. Usage: package-deb.sh [OUTDIR]   (default dist/)
# LVSD_PACKAGE_BUILT=1: dist/ is already current (`npm test` built it), do not compile again.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022
out=${1:-dist}
version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
node_dir=$(bash scripts/bundled-node.sh)
node_version=$("$node_dir/bin/node" --version)

[[ -f build/Release/lvsd_net.node ]] || npm run --silent build:native
if [[ ${LVSD_PACKAGE_BUILT:-} != 1 ]]; then npm run --silent build; fi
bash scripts/man.sh >/dev/null

stage=$(mktemp -d "${TMPDIR:-/tmp}/lvsd-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
lib=$root/usr/lib/lvsd
doc=$root/usr/share/doc/lvsd

# The program, and its production dependencies exactly as locked (no install scripts: netlink
# ships its N-API addon prebuilt, and lvsd's own `prepare` would compile again).
install -d "$lib/bin" "$lib/dist" "$lib/build/Release" "$lib/node/bin"
cp package.json package-lock.json "$lib/"
install -d "$lib/dist/bundle"
cp -r dist/bundle/lvsd "$lib/dist/bundle/lvsd" # the bundled program (scripts/bundle.ts): all bin/lvsd loads
sed '1s|^#!.*|#!/usr/lib/lvsd/node/bin/node|' bin/lvsd >"$lib/bin/lvsd"
chmod 0755 "$lib/bin/lvsd"
install -m 0644 bin/package.json "$lib/bin/" # bin/lvsd is CommonJS (it requires the one-file `lvsd ipvs`)
install -m 0644 build/Release/lvsd_net.node "$lib/build/Release/"
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
rm "$lib/package-lock.json"
install -m 0755 "$node_dir/bin/node" "$lib/node/bin/node"
install -m 0644 "$node_dir/LICENSE" "$lib/node/LICENSE"

install -d "$root/usr/sbin"
ln -s ../lib/lvsd/bin/lvsd "$root/usr/sbin/lvsd"
install -D -m 0644 systemd/lvsd.service "$root/lib/systemd/system/lvsd.service"
install -D -m 0644 packaging/lvsd.conf "$root/etc/lvsd/lvsd.conf"
install -D -m 0644 packaging/default "$root/etc/default/lvsd"
install -d "$root/usr/share/man/man8" "$root/usr/share/man/man5"
gzip -9n <dist/man/lvsd.8 >"$root/usr/share/man/man8/lvsd.8.gz"
gzip -9n <dist/man/lvsd.conf.5 >"$root/usr/share/man/man5/lvsd.conf.5.gz"
install -d "$root/usr/share/bash-completion/completions"
"$node_dir/bin/node" bin/lvsd completion bash >"$root/usr/share/bash-completion/completions/lvsd"
install -d "$doc/examples"
install -m 0644 README.md docs/operations.md docs/config.md docs/checks.md docs/ipvs.md docs/errors.md "$doc/"
install -m 0644 etc/*.conf "$doc/examples/"
# the Prometheus alert rules and the Grafana dashboard (docs/operations.md, "Metrics")
install -m 0644 etc/prometheus/lvsd-alerts.yml etc/grafana/lvsd-dashboard.json "$doc/examples/"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: lvsd

Files: *
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0.

Files: usr/lib/lvsd/node/*
Comment: Node.js $node_version, from the npm registry's node-linux package (the official build).
License: MIT and others, see /usr/lib/lvsd/node/LICENSE

Files: usr/lib/lvsd/node_modules/*
License: see each module's own LICENSE file
EOF

# Control area: control (with the installed size), conffiles, maintainer scripts, md5sums of
# everything but the conffiles (as dh_md5sums).
install -d "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  -e "s/@NODE_VERSION@/$node_version/" packaging/deb/control.in >"$root/DEBIAN/control"
install -m 0644 packaging/deb/conffiles "$root/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
  LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/lvsd_${version}_${arch}.deb"
# zstd: a tenth of xz's time for 25% more bytes; every dpkg that can install this package (libc6
# >= 2.34: Debian 12, Ubuntu 22.04 and later) reads it. LVSD_DEB_COMPRESS="-Zxz -z6" for xz.
# shellcheck disable=SC2086 # the variable holds several flags
dpkg-deb --root-owner-group ${LVSD_DEB_COMPRESS:--Zzstd -z9} --build "$root" "$deb" >/dev/null
echo "package: $deb ($(du -h "$deb" | cut -f1); node $node_version bundled)"
