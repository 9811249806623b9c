#!/bin/bash
# tests/install.t — `make install PREFIX=/usr DESTDIR=...` (issue 22): the programs, the data, the configuration
# with the installed paths, the systemd units and the nginx site naming PREFIX's paths, the man pages; the
# installed bimi finds its trust store in PREFIX/share/bimi; the installed bimi-fcgi accepts the installed
# configuration (its files moved under DESTDIR). TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
D=$t/root

# The variant make check built (build/bimi follows it), so that install copies those programs, not others.
case "$(basename "${BIMI_BUILD:-build/obj/release}")" in
  san) variant=(SANITIZE=1) ;;
  tsan) variant=(SANITIZE=thread) ;;
  debug) variant=(DEBUG=1) ;;
  *) variant=() ;;
esac
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "${variant[@]}" install PREFIX=/usr DESTDIR="$D" \
  > "$t/install.log" 2>&1
rc=$?; [ "$rc" = 0 ]; ok $? "make install PREFIX=/usr DESTDIR=... (exit $rc)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$t/install.log" | tail -20

missing=""
for f in usr/bin/bimi usr/sbin/bimi-fcgi; do [ -x "$D/$f" ] || missing="$missing $f"; done
for f in usr/share/bimi/bimi-roots.pem usr/share/bimi/ct-logs.cnf usr/share/bimi/schema/SVG_PS-latest.rng \
         usr/share/bimi/bimi.conf.example usr/share/bimi/roundcube/bimi_engine/bimi_engine.php \
         usr/share/bimi/roundcube/bimi_engine/localization/ja_JP.inc etc/bimi/bimi.conf etc/nginx/sites-available/bimi.conf \
         lib/systemd/system/bimi-fcgi.service lib/systemd/system/bimi-fcgi.socket \
         usr/share/man/man1/bimi.1 usr/share/man/man5/bimi.conf.5 usr/share/man/man8/bimi-fcgi.8 \
         usr/share/doc/bimi-engine/README.md; do
  [ -f "$D/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]; ok $? "the installed files are there${missing:+ (missing:$missing)}"

unit=$D/lib/systemd/system/bimi-fcgi.service
grep -qx 'ExecStart=/usr/sbin/bimi-fcgi -c /etc/bimi/bimi.conf' "$unit" &&
  grep -qx 'ExecStartPre=/usr/sbin/bimi-fcgi -c /etc/bimi/bimi.conf --check-config' "$unit" &&
  ! grep -v '^#' "$unit" | grep -q /usr/local
ok $? "bimi-fcgi.service runs /usr/sbin/bimi-fcgi, --check-config as ExecStartPre, nothing under /usr/local"

conf=$D/etc/bimi/bimi.conf
grep -qx 'bimi_roots = /usr/share/bimi/bimi-roots.pem' "$conf" && grep -qx 'ct_logs = /usr/share/bimi/ct-logs.cnf' "$conf" &&
  grep -qx 'dir = /var/cache/bimi' "$conf" && grep -qx 'listen = unix:/run/bimi/bimi-fcgi.sock' "$conf"
ok $? "bimi.conf names the installed trust store, the cache directory and the socket"

# The socket's directory (/run/bimi) is made by systemd's RuntimeDirectory= before ExecStartPre;
# here the check gets a directory that exists.
sed -e "s|/usr/share/bimi/|$D/usr/share/bimi/|" -e "s|^listen = unix:/run/bimi/|listen = unix:$t/|" "$conf" > "$t/moved.conf"
out=$("$D/usr/sbin/bimi-fcgi" -c "$t/moved.conf" --check-config 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s' "$out" | grep -q 'configuration ok'
ok $? "the installed bimi-fcgi accepts the installed configuration: $(printf '%s' "$out" | head -1)"

# Installed, bimi finds bimi-roots.pem in ../share/bimi (run from a directory without data/).
out=$(cd "$t" && "$D/usr/bin/bimi" cert verify "$OLDPWD/fixtures/pki/good-vmc-registered.pem" --revocation off 2>&1)
printf '%s' "$out" | grep -q '^verdict:' && ! printf '%s' "$out" | grep -q 'data/bimi-roots.pem'
ok $? "the installed bimi reads its trust store from /usr/share/bimi: $(printf '%s' "$out" | head -1)"

for page in man1/bimi.1 man5/bimi.conf.5 man8/bimi-fcgi.8; do
  name=$(basename "$page"); name=${name%.*}
  MANWIDTH=100 man -l "$D/usr/share/man/$page" 2>/dev/null | grep -q "^NAME" &&
    MANWIDTH=100 man -l "$D/usr/share/man/$page" 2>/dev/null | grep -q "$name"
  ok $? "man -l $page renders"
done

echo "1..$n"
[ "$fails" = 0 ]
