#!/bin/bash
# tests/render-cli.t — `bimi render` (issue 13): a logo that cannot be rendered within the limits ends within
# the deadline with a clear error and exit 1 (the CLI runs in a worker with the service's limits by default);
# a good logo is a PNG of the asked size; -o to a FIFO (like /dev/null, a file that is not a regular one) is
# written in place, never replaced by a renamed temporary file. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
if [ ! -x "$BIMI" ]; then echo "Bail out! $BIMI is not built"; exit 1; fi
. tests/lib/tap.sh
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
GOOD=$(ls fixtures/svg/valid-*.svg 2>/dev/null | head -1)

for f in use-bomb nan-viewbox heavy-path; do
  out=$("$BIMI" render "fixtures/render/$f.svg" --size 512 --deadline-ms 1000 -o "$t/$f.png" 2>&1); rc=$?
  [ "$rc" = 1 ] && [ ! -e "$t/$f.png" ] && printf '%s' "$out" | grep -q 'bimi render: '
  ok $? "fixtures/render/$f.svg: exit 1 (got $rc), a clear error, no PNG: $(printf '%s' "$out" | head -c 160)"
done

"$BIMI" render "$GOOD" --size 64 -o "$t/good.png" >/dev/null 2>&1
[ "$(head -c 8 "$t/good.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
  [ "$(od -An -tu1 -j16 -N8 "$t/good.png" | tr -s ' ')" = " 0 0 0 64 0 0 0 64" ]
ok $? "$GOOD at --size 64: a 64 x 64 PNG"

mkfifo "$t/fifo"
timeout 20 cat "$t/fifo" > "$t/from-fifo.png" &  # bounded: a replaced FIFO never gets a writer
reader=$!
"$BIMI" render "$GOOD" --size 64 -o "$t/fifo" >/dev/null 2>&1; rc=$?
wait "$reader"
[ "$rc" = 0 ] && [ -p "$t/fifo" ] && cmp -s "$t/from-fifo.png" "$t/good.png"
ok $? "-o a FIFO: written through it (exit $rc), the FIFO is still a FIFO"

echo "1..$n"
[ "$fails" = 0 ]
