#!/usr/bin/env bash
# `npm run man`: the man pages lvsd(8) and lvsd.conf(5), from docs/lvsd.8.md and docs/lvsd.conf.5.md
# (whose body is docs/config.md, so the keyword reference has one source) with marked-man, into
# dist/man/ (or the directory given). The date is the last commit's that touched docs/, so a
# rebuild of the same tree gives the same pages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/man}
mkdir -p "$out"
version=$(node -p "require('./package.json').version")
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct -- docs 2>/dev/null || true)
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
fi
# marked-man writes quotes and ampersands in table cells as HTML entities (roff wants them plain)
# and gives every table column the same width (the last one, the text, should take the rest).
# marked-man exits before a pipe has taken more than 64 KiB of its output: it writes to a file.
render() {
  local src roff
  src=$(mktemp --suffix=.md)
  roff=$(mktemp)
  cat >"$src"
  node_modules/.bin/marked-man --no-breaks --version "lvsd $version" --manual "lvsd manual" -o "$roff" "$src"
  sed -e 's/&quot;/"/g' -e "s/&#39;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' "$roff" |
    awk 'table { sub(/l\.$/, "lx."); table = 0 } /^tab\(\|\) expand nowarn box;$/ { table = 1 } { print }' >"$1"
  rm -f "$src" "$roff"
}
render "$out/lvsd.8" <docs/lvsd.8.md
# docs/config.md without its title, where the marker line is.
awk 'FNR == NR { if (FNR > 1) body = body $0 "\n"; next }
     /^<!-- scripts\/man.sh puts the body of docs\/config.md here -->$/ { printf "%s", body; next }
     { print }' docs/config.md docs/lvsd.conf.5.md | render "$out/lvsd.conf.5"
echo "man: $out/lvsd.8 $out/lvsd.conf.5"
