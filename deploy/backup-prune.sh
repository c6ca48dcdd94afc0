#!/bin/sh
# Keep the newest 14 backups, plus the newest of each of the last 8 ISO weeks and 12 months.
# usage: backup-prune.sh /backup/qinqing   (directories named qinqing-YYYYmmdd-HHMMSS)
set -eu
dir="$1"
cd "$dir"
keep=$(mktemp)
ls -1d qinqing-* 2>/dev/null | sort -r | head -n 14 >"$keep"
for d in $(ls -1d qinqing-* 2>/dev/null | sort -r); do
  day=$(echo "$d" | sed 's/^qinqing-\([0-9]\{8\}\).*/\1/')
  echo "w$(date -d "$day" +%G%V) $d"
  echo "m$(echo "$day" | cut -c1-6) $d"
done | sort -k1,1 -k2,2r | awk '!seen[$1]++' | sort -r | awk '/^w/ && w < 8 {print $2; w++} /^m/ && m < 12 {print $2; m++}' >>"$keep"
for d in qinqing-*; do
  [ -d "$d" ] || continue
  grep -qx "$d" "$keep" || rm -rf -- "$d"
done
rm -f "$keep"
