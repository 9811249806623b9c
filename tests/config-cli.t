#!/bin/bash
# tests/config-cli.t — `bimi config example` is conf/bimi.conf.example byte for byte (the
# example is generated from the key table in evaluate/config.c), `bimi config check FILE`
# and `bimi-fcgi --check-config` print the keys set away from their defaults, and a bad
# value is refused naming the key. `bimi-fcgi --check-config` refuses each configuration the
# service would not start with (one case per item of issue 22), lists every problem at once,
# warns for test-only settings and resolves relative paths against the file's directory.
# TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
FCGI=build/bimi-fcgi
if [ ! -x "$BIMI" ] || [ ! -x "$FCGI" ]; then echo "Bail out! $BIMI or $FCGI is not built"; exit 1; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. tests/lib/tap.sh

echo "1..21"
"$BIMI" config example > "$tmp/example" 2>&1; rc=$?
cmp -s "$tmp/example" conf/bimi.conf.example; same=$?
[ "$rc" = 0 ] && [ "$same" = 0 ]; ok $? "bimi config example is conf/bimi.conf.example (make conf/bimi.conf.example)"

out=$("$BIMI" config check conf/bimi.conf.example 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -vc '^#')" = 0 ]; ok $? "the example sets every key to its default"

printf '[server]\nlisten = unix:%s/s.sock\nthreads = 3\n[policy]\ncmc = None\n[cache]\ndir = %s/cache\n' "$tmp" "$tmp" \
  > "$tmp/a.conf"
out=$("$BIMI" config check "$tmp/a.conf" 2>&1); rc=$?
want=$(printf '[server]\nthreads = 3\n\n[policy]\ncmc = none')
want=$(printf '[server]\nlisten = unix:%s/s.sock\nthreads = 3\n\n[policy]\ncmc = none\n\n[cache]\ndir = %s/cache' "$tmp" "$tmp")
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -v '^#')" = "$want" ]; ok $? "config check prints the changed keys"

out=$("$FCGI" -c "$tmp/a.conf" --check-config 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^threads = 3$'; ok $? "bimi-fcgi --check-config prints them too"

printf '[server]\nthreads = 0\n' > "$tmp/bad.conf"
out=$("$BIMI" config check "$tmp/bad.conf" 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -q "\[server\] threads = '0': expected an integer from 1 to 256"; ok $? "a bad value: exit 1 naming the key"

"$BIMI" config > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; ok $? "usage: exit 2"
# ---- --check-config: every check the start runs, every problem at once (issue 22) ----
root=$(pwd)
good() {
  printf '[server]\nlisten = unix:%s/run/bimi.sock\n[render]\nworker_path = %s/build/bimi\n' "$tmp" "$root"
  printf '[trust]\nbimi_roots = %s/data/bimi-roots.pem\nct_logs = %s/data/ct-logs.cnf\n' "$root" "$root"
  printf '[cache]\ndir = %s/cache\n' "$tmp"
}
mkdir -p "$tmp/run"
good > "$tmp/good.conf"
out=$("$FCGI" -c "$tmp/good.conf" --check-config 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q 'configuration ok$'; ok $? "a good configuration: configuration ok"
[ ! -e "$tmp/cache" ]; ok $? "--check-config creates nothing (the missing cache directory stays missing)"

# refuses CONF_EXTRA EXPECTED-TEXT DESCRIPTION: the good configuration plus CONF_EXTRA is refused with EXPECTED-TEXT
refuses() {
  { good; printf "$1"; } > "$tmp/c.conf"
  out=$("$FCGI" -c "$tmp/c.conf" --check-config 2>&1); rc=$?
  [ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qF -- "$2" && ! printf '%s\n' "$out" | grep -q 'configuration ok'
  ok $? "$3"
  [ "$rc" = 1 ] || printf '# %s\n' "$out"
}
refuses '[dns]\nforwarders = 8.8.8.8:53\n' "[dns] forwarder '8.8.8.8:53': expected ADDR or ADDR@PORT" \
  "a forwarder written 8.8.8.8:53"
refuses '[cache]\ndir = /nonexistent-bimi/cache\n' "[cache] dir = /nonexistent-bimi/cache: directory missing, and so is its parent" \
  "a cache directory that cannot be created"
refuses '[dns]\ntrust_anchor = /nonexistent-bimi/root.key\n' "[dns] trust_anchor = /nonexistent-bimi/root.key: No such file" \
  "an unreadable trust_anchor"
refuses '[fetch]\nca_file = missing-ca.pem\n' "[fetch] ca_file = $tmp/missing-ca.pem: No such file" \
  "an unreadable ca_file, named by its absolute path (relative to the file's directory)"
refuses '[dns]\nzone_files = '"$tmp"'\n' "[dns] zone_files = $tmp: not a regular file" "an unreadable zone file"
printf 'example.test. 300 IN TXT\n' > "$tmp/broken.zone"
refuses '[dns]\nzone_files = broken.zone\n' "[dns] $tmp/broken.zone:1: character-string missing" "a zone file the resolver refuses (relative path, named absolute)"
good | sed "s|^listen = .*|listen = unix:$tmp/no-such-dir/bimi.sock|" > "$tmp/c.conf"
out=$("$FCGI" -c "$tmp/c.conf" --check-config 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qF "the directory $tmp/no-such-dir does not exist"; ok $? "a listen path in a missing directory"
refuses '[fetch]\nresolve = origin.test:443\n' "[fetch] resolve pin 'origin.test:443': expected HOST:PORT:ADDRESS" \
  "a malformed resolve pin"
refuses '[server]\nthreads = 4\nthreads = 5\n' "[server] threads: given twice (first on line" "a key given twice"

# every problem at once
{ good; printf '[dns]\nforwarders = 8.8.8.8:53\ntrust_anchor = /nonexistent-bimi/root.key\n'
  printf '[fetch]\nca_file = /nonexistent-bimi/ca.pem\nresolve = bad-pin\n[server]\nthreads = 0\n'; } > "$tmp/all.conf"
sed -i "s|^dir = .*|dir = /nonexistent-bimi/cache|; s|^listen = .*|listen = unix:/nonexistent-bimi/s.sock|" "$tmp/all.conf"
out=$("$FCGI" -c "$tmp/all.conf" --check-config 2>&1); rc=$?
all=0
for want in "forwarder '8.8.8.8:53'" "trust_anchor = /nonexistent-bimi/root.key" "ca_file = /nonexistent-bimi/ca.pem" \
             "resolve pin 'bad-pin'" "threads = '0'" "dir = /nonexistent-bimi/cache" "directory /nonexistent-bimi does not exist" \
             "7 problems, the service would not start"; do
  printf '%s\n' "$out" | grep -qF -- "$want" || { all=1; echo "# missing: $want"; }
done
[ "$rc" = 1 ] && [ "$all" = 0 ]; ok $? "every problem is listed at once, and counted"
[ "$all" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'

# warnings, not failures
warns() {
  { good; printf "$1"; } > "$tmp/w.conf"
  out=$("$FCGI" -c "$tmp/w.conf" --check-config 2>&1); rc=$?
  [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qF -- "warning: $2"; ok $? "$3"
}
warns '[testing]\nnow = 2026-06-01T00:00:00Z\n' "[testing] now = 2026-06-01T00:00:00Z" "[testing] now: a warning"
warns '[fetch]\nallow_private_addresses = true\n' "[fetch] allow_private_addresses = true" \
  "allow_private_addresses = true: a warning"
warns '[trust]\nrevocation = off\n' "[trust] revocation = off" "revocation = off: a warning"
[ "$fails" = 0 ]
