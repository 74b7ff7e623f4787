#!/usr/bin/env bash
# Prints the directory of an official Node.js build taken from the npm registry's node-linux-ARCH
# package (it ships the binary; npm checks its integrity), fetched once into a cache. It is the
# Node the .deb bundles (scripts/package-deb.sh) and the one the CI's Node 24 unit layer runs on.
# Usage: bundled-node.sh [VERSION]      (default: package.json's config.bundledNode)
# Cache: $LVSD_CACHE_DIR, else $XDG_CACHE_HOME/lvsd, else ~/.cache/lvsd (about 120 MB a version).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(node -p "require('./package.json').config.bundledNode")}
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "bundled-node: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
cache=${LVSD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lvsd}
dir=$cache/node-v$version-linux-$arch
if [[ ! -x $dir/bin/node ]]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "bundled-node: fetching node-linux-$arch@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "node-linux-$arch@$version" >/dev/null)
  mkdir "$tmp/x"
  tar -xzf "$tmp/node-linux-$arch-$version.tgz" -C "$tmp/x"
  if [[ $("$tmp/x/package/bin/node" --version) != "v$version" ]]; then
    echo "bundled-node: node-linux-$arch@$version does not run as v$version" >&2
    exit 1
  fi
  # Another run may have put it there meanwhile: then keep that one.
  mv -T "$tmp/x/package" "$dir" 2>/dev/null || [[ -x $dir/bin/node ]]
fi
echo "$dir"
