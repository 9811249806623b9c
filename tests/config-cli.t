#!/bin/bash
# tests/config-cli.t — `bimi config example` is conf/bimi.conf.example byte for byte (the
# example is generated from the key table in evaluate/config.c), `bimi config check FILE`
# and `bimi-fcgi --check-config` print the keys set away from their defaults, and a bad
# value is refused naming the key. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
FCGI=build/bimi-fcgi
if [ ! -x "$BIMI" ] || [ ! -x "$FCGI" ]; then echo "Bail out! $BIMI or $FCGI is not built"; exit 1; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/lib/tap.sh

echo "1..6"
"$BIMI" config example > "$tmp/example" 2>&1; rc=$?
cmp -s "$tmp/example" conf/bimi.conf.example; same=$?
[ "$rc" = 0 ] && [ "$same" = 0 ]; ok $? "bimi config example is conf/bimi.conf.example (make conf/bimi.conf.example)"

out=$("$BIMI" config check conf/bimi.conf.example 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -vc '^#')" = 0 ]; ok $? "the example sets every key to its default"

printf '[server]\nthreads = 3\n[policy]\ncmc = None\n' > "$tmp/a.conf"
out=$("$BIMI" config check "$tmp/a.conf" 2>&1); rc=$?
want=$(printf '[server]\nthreads = 3\n\n[policy]\ncmc = none')
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -v '^#')" = "$want" ]; ok $? "config check prints the changed keys"

out=$("$FCGI" -c "$tmp/a.conf" --check-config 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^threads = 3$'; ok $? "bimi-fcgi --check-config prints them too"

printf '[server]\nthreads = 0\n' > "$tmp/bad.conf"
out=$("$BIMI" config check "$tmp/bad.conf" 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -q "\[server\] threads = '0': expected an integer from 1 to 256"; ok $? "a bad value: exit 1 naming the key"

"$BIMI" config > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; ok $? "usage: exit 2"
[ "$fails" = 0 ]
