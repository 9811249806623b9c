#!/bin/bash
# tests/check-layers.t — scripts/check-layers (run by make checksrc) accepts this
# tree and refuses an include against the layer order
# engine/base -> engine -> cache, renderer, report -> evaluate -> fcgi, cli. TAP.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT

scripts/check-layers >/dev/null; ok $? "this tree keeps the layer order"

mk() { mkdir -p "$t/$1/$(dirname "$2")"; printf '#include "%s"\n' "$3" > "$t/$1/$2"; }
refused() { # case file include
  scripts/check-layers "$t/$1" > "$t/$1.out" 2>&1; local rc=$?
  if [ "$rc" = 1 ] && grep -q "^$2:1: include \"$3\"" "$t/$1.out"; then ok 0 "refused: $2 includes $3"
  else echo "# exit $rc: $(cat "$t/$1.out")"; ok 1 "refused: $2 includes $3"; fi
}
accepted() {
  scripts/check-layers "$t/$1" > "$t/$1.out" 2>&1; local rc=$?
  [ "$rc" = 0 ] || echo "# exit $rc: $(cat "$t/$1.out")"; ok "$rc" "accepted: $2 includes $3"
}
mk a engine/dkim.c cache/store.h;        refused a engine/dkim.c cache/store.h
mk b engine/base/cursor.c engine/limits.h; refused b engine/base/cursor.c engine/limits.h
mk c cache/store.c renderer/render.h;    refused c cache/store.c renderer/render.h
mk d renderer/worker.c evaluate/config.h; refused d renderer/worker.c evaluate/config.h
mk e evaluate/evaluate.c fcgi/server.h;  refused e evaluate/evaluate.c fcgi/server.h
mk f cli/main.c fcgi/http.h;             refused f cli/main.c fcgi/http.h
mk g evaluate/evaluate.c cache/records.h; accepted g evaluate/evaluate.c cache/records.h
mk h engine/dkim.c engine/base/cursor.h; accepted h engine/dkim.c engine/base/cursor.h
mk i fcgi/main.c evaluate/evaluate.h;    accepted i fcgi/main.c evaluate/evaluate.h
mk j report/report-db.c evaluate/config.h; refused j report/report-db.c evaluate/config.h
mk k cache/store.c report/report-db.h;   refused k cache/store.c report/report-db.h
mk l engine/dkim.c report/report-db.h;   refused l engine/dkim.c report/report-db.h
mk m report/recorder.c cache/cache.h;    accepted m report/recorder.c cache/cache.h
mk n evaluate/evaluate.c report/report-db.h; accepted n evaluate/evaluate.c report/report-db.h

echo "1..$n"
[ "$fails" = 0 ]
