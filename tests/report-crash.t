#!/bin/bash
# tests/report-crash.t — SIGKILL of the report writer never corrupts the database (issue 15).
#
# tests/helpers/report-writer records without end into one SQLite file (WAL, batched
# transactions); it is killed with SIGKILL at a random moment after its first commits, five
# times over the same file. After each kill: PRAGMA integrity_check is "ok", every evaluation
# row has its DKIM row (no half-written batch), the committed rows never go back, and the next
# writer opens the file and goes on. TAP.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BIMI_BUILD:-build/obj/$(cat build/.variant 2>/dev/null || echo release)}
W=$BUILD/tests/helpers/report-writer
. tests/lib/tap.sh
[ -x "$W" ] || { echo "Bail out! $W is not built (make check builds it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "Bail out! sqlite3 (Debian sqlite3) is required"; exit 1; }
t=$(mktemp -d); pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$t"' EXIT
db=$t/reports.sqlite
echo "1..20"
prev=0
for round in 1 2 3 4 5; do
  "$W" "$db" > "$t/out.$round" 2> "$t/err.$round" &
  pid=$!
  # Wait for a commit, then a little more (0..0.3 s) so the kill lands anywhere in a batch.
  for i in $(seq 1 200); do grep -q '^written' "$t/out.$round" && break; sleep 0.05; done
  sleep "0.$((RANDOM % 4))"
  kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
  check=$(sqlite3 "$db" 'PRAGMA integrity_check;' 2>&1)
  [ "$check" = ok ]; ok $? "round $round: integrity_check after SIGKILL" "$check"
  rows=$(sqlite3 "$db" 'SELECT count(*) FROM evaluation;' 2>&1)
  orphans=$(sqlite3 "$db" 'SELECT count(*) FROM evaluation e WHERE NOT EXISTS (SELECT 1 FROM evaluation_dkim d WHERE d.evaluation_id = e.id);' 2>&1)
  [ "$orphans" = 0 ]; ok $? "round $round: no half-written record ($rows rows, $orphans without their DKIM row)"
  last=$(grep '^written' "$t/out.$round" | tail -n 1 | cut -d' ' -f2)
  [ -n "$last" ] && [ "$last" -gt 0 ] && [ "$rows" -ge $((prev + last)) ] 2>/dev/null
  ok $? "round $round: every commit the writer reported is there ($prev before + ${last:-?} reported <= $rows)" \
    "$(cat "$t/err.$round")"
  echo "# round $round: $rows rows committed, writer said: $(tail -n 1 "$t/out.$round")"
  prev=$rows
  mode=$(sqlite3 "$db" 'PRAGMA journal_mode;')
  [ "$mode" = wal ]; ok $? "round $round: still in WAL mode ($mode)"
done
exit $((fails > 0))
