#!/bin/bash
# tests/integration-report.t — DMARC aggregate reports end to end (issue 15, "Done when").
#
# 1. scripts/demo-stack start DIR (its bimi.conf sets [report] db = DIR/reports.sqlite): every demo
#    message of fixtures/demo/messages/index.json is posted to the service twice; after the stack
#    stops (the writer drains its queue) the database holds one evaluation per message (the second
#    post counts once) for each policy domain whose _dmarc record has rua= (tests/report-check.py
#    expect reads the zone and the index).
# 2. `bimi report build` writes one report per such domain: valid against the RFC 9990 XSD
#    (xmllint --schema), counts equal to the messages posted; a second build builds nothing.
# 3. `bimi report send` to a real SMTP server on loopback (python3-aiosmtpd, Maildir handler, started
#    and stopped by PID), DKIM-signed with a fresh RSA key: every message verifies with dkimpy and
#    with `bimi dkim` (our verifier, the key in a zone file), its attachment gunzips to valid XML
#    with the same counts; a second send sends nothing.
# 4. External destination verification both ways: a report for rua=mailto:...@reports.example is
#    built and sent only when <policy>._report._dmarc.reports.example has v=DMARC1.
# 5. `bimi evaluate --report-db` records one message once however often it is evaluated.
# TAP. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
"$PY" -c 'import aiosmtpd' 2>/dev/null || int_bail "python3-aiosmtpd is required (scripts/install-deps)"
command -v sqlite3 >/dev/null || int_bail "sqlite3 is required (scripts/install-deps)"
command -v xmllint >/dev/null || int_bail "xmllint (libxml2-utils) is required"
XSD=$BIMI_UPSTREAM_DIR/dmarc-aggregate-reports/ietf-rfc9990/dmarc-xml-0.2.xsd
[ -f "$XSD" ] || int_bail "$XSD missing"
RCHECK="$PY tests/report-check.py"
BIMI=build/bimi
int_setup
DEMO=$INT_TMP/demo
SMTP_PID=""
report_cleanup() {
  [ -n "$SMTP_PID" ] && kill -TERM "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null
  int_demo_stop "$DEMO"
  int_cleanup
}
trap report_cleanup EXIT
int_plan 22

# ---- 1. record through the service ------------------------------------------------------------
FRONT_PORT=$(int_free_port)
origin=$(int_free_port)
out=$(scripts/demo-stack start "$DEMO" --front-port "$FRONT_PORT" --origin-port "$origin" 2>&1)
rc=$?
grep -q "^db = $DEMO/reports.sqlite" "$DEMO/bimi.conf" 2>/dev/null
int_ok $((rc + $?)) "demo-stack start: [report] db = DIR/reports.sqlite" "$out"
[ "$rc" = 0 ] || int_bail "the demo stack did not start"

urlenc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
mapfile -t ROWS < <("$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1])):
    print("\t".join([r["file"], r.get("ip") or "-", r.get("helo") or "-", r.get("mail_from") or "-"]))' \
  fixtures/demo/messages/index.json)
bad=""
for round in 1 2; do
  for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r -a f <<< "$row"
    q="ip=$(urlenc "${f[1]}")&helo=$(urlenc "${f[2]}")&mail_from=$(urlenc "${f[3]}")"
    status=$(int_post "fixtures/demo/messages/${f[0]}" "$INT_TMP/out.json" "$q")
    [ "$status" = 200 ] || bad="$bad ${f[0]}:$status"
  done
done
[ -z "$bad" ]; int_ok $? "posted the ${#ROWS[@]} demo messages twice (HTTP 200)" "$bad"
scripts/demo-stack stop "$DEMO" >/dev/null 2>&1   # SIGTERM: the writer drains its queue
DB=$DEMO/reports.sqlite
EXPECT=$($RCHECK expect fixtures/demo/messages/index.json fixtures/demo/demo.zone 2>&1)
GOT=$(sqlite3 "$DB" "SELECT policy_domain, count(*) FROM evaluation WHERE rua != '' GROUP BY policy_domain ORDER BY 1" 2>&1 | tr '|' ' ')
[ -n "$EXPECT" ] && [ "$GOT" = "$EXPECT" ]
int_ok $? "one evaluation per message and policy domain with rua= (posted twice, counted once)" \
  "expected:" "$EXPECT" "recorded:" "$GOT"
reasons=$(sqlite3 "$DB" "SELECT DISTINCT type FROM evaluation_reason ORDER BY 1" | tr '\n' ' ')
case "$reasons" in *local_policy*trusted_forwarder*) r=0 ;; *) r=1 ;; esac
int_ok $r "override reasons recorded: local_policy (spoof.eml, not applied) and trusted_forwarder (ARC)" "$reasons"

# ---- 2. build ---------------------------------------------------------------------------------
now=$(date +%s)
FROM="@$((now - 86400))"; TO="@$((now + 86400))"
OUT=$INT_TMP/reports
files=$($BIMI report build -c "$DEMO/bimi.conf" --from "$FROM" --to "$TO" --out "$OUT" 2> "$INT_TMP/build.err")
rc=$?
n_expect=$(printf '%s\n' "$EXPECT" | wc -l)
n_files=$(printf '%s\n' "$files" | grep -c .)
[ "$rc" = 0 ] && [ "$n_files" = "$n_expect" ]
int_ok $? "bimi report build: $n_files reports for the $n_expect domains asking for them" "exit $rc" "$files" \
  "$(cat "$INT_TMP/build.err")"
summary=""
for f in $files; do
  case "$f" in mx.demo.test!*!*!*!*.xml.gz) ;; *) summary="$summary bad-name:$f" ;; esac
  line=$($RCHECK report "$OUT/$f" "$XSD" 2>&1) || summary="$summary invalid:$f:$line"
  summary="$summary
${line% *}"
done
got=$(printf '%s\n' "$summary" | grep -v '^$' | sort)
[ "$got" = "$EXPECT" ]
int_ok $? "every report valid against the RFC 9990 XSD, counts equal to the messages posted" "$got"
again=$($BIMI report build -c "$DEMO/bimi.conf" --from "$FROM" --to "$TO" --out "$OUT" 2>&1 >/dev/null)
printf '%s' "$again" | grep -q ": 0 built, $n_expect already built"
int_ok $? "a second build builds nothing" "$again"

# ---- 3. send over SMTP, DKIM-signed --------------------------------------------------------------
KEYS=$INT_TMP/keys; mkdir -p "$KEYS"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/report.key" 2>/dev/null
pub=$(openssl pkey -in "$KEYS/report.key" -pubout -outform DER 2>/dev/null | base64 -w0)
{ printf 'report._domainkey.mx.demo.test. 300 IN TXT "v=DKIM1; k=rsa; p="'
  for ((i = 0; i < ${#pub}; i += 200)); do printf ' "%s"' "${pub:i:200}"; done; echo; } > "$KEYS/dkim.zone"
[ -s "$KEYS/report.key" ] && [ -n "$pub" ]; int_ok $? "a fresh RSA-2048 signing key and its DKIM record"
MAILDIR=$INT_TMP/maildir; mkdir -p "$MAILDIR/tmp" "$MAILDIR/new" "$MAILDIR/cur"
SMTP_PORT=$(int_free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" > "$INT_TMP/smtp.log" 2>&1 &
SMTP_PID=$!
int_wait_tcp "$SMTP_PORT" "$SMTP_PID"
int_ok $? "aiosmtpd listening on 127.0.0.1:$SMTP_PORT (pid $SMTP_PID)" "$(cat "$INT_TMP/smtp.log")"
cat > "$INT_TMP/send.conf" <<EOF
[report]
db = $DB
org_name = bimi-engine demo
org_email = dmarc-reports@mx.demo.test
dkim_domain = mx.demo.test
dkim_selector = report
dkim_key = $KEYS/report.key
smtp_url = smtp://127.0.0.1:$SMTP_PORT
EOF
dry=$($BIMI report send -c "$INT_TMP/send.conf" --dry-run 2>&1)
rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$dry" | grep -c '^would send')" = "$n_expect" ] && [ -z "$(ls -A "$MAILDIR/new" 2>/dev/null)" ]
int_ok $? "send --dry-run lists $n_expect messages and sends none" "$dry"
sent=$($BIMI report send -c "$INT_TMP/send.conf" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$sent" | grep -c '^sent ')" = "$n_expect" ]
int_ok $? "bimi report send: $n_expect messages accepted by the SMTP server" "exit $rc" "$sent"
box=$($RCHECK mailbox "$MAILDIR" "$KEYS/dkim.zone" "$XSD" 2>&1)
rc=$?
got=$(printf '%s\n' "$box" | cut -d' ' -f1,2 | sort)
[ "$rc" = 0 ] && [ "$got" = "$EXPECT" ]
int_ok $? "received: DKIM verifies with dkimpy, attachments valid against the XSD, counts equal" "$box"
ours=0; n_msgs=0
for m in "$MAILDIR"/msg-*.eml; do
  [ -f "$m" ] || continue
  n_msgs=$((n_msgs + 1))
  $BIMI dkim "$m" --zone "$KEYS/dkim.zone" > "$INT_TMP/dkim.out" 2>&1 || { ours=1; cat "$INT_TMP/dkim.out"; }
done
[ "$ours" = 0 ] && [ "$n_msgs" = "$n_expect" ]
int_ok $? "received: DKIM verifies with our verifier (bimi dkim) too ($n_msgs messages)"
states=$(sqlite3 "$DB" "SELECT state, count(*) FROM report_destination GROUP BY state" | tr '\n' ' ')
[ "$states" = "sent|$n_expect " ]
int_ok $? "sent-log: every destination sent" "$states"
second=$($BIMI report send -c "$INT_TMP/send.conf" 2>&1)
rc=$?
count=$(ls "$MAILDIR/new" | wc -l)
[ "$rc" = 0 ] && printf '%s' "$second" | grep -q '0 sent' && [ "$count" = "$n_expect" ]
int_ok $? "a second send sends nothing (server has $count messages)" "$second"

# ---- 4. external destination verification, both ways -------------------------------------------
ext_db() { # DB: one evaluation of ext.example asking for reports at reports.example
  sqlite3 "$1" "INSERT INTO evaluation (dedup_key, row_key, time, source_ip, header_from, policy_domain,
    discovery_method, p, adkim, aspf, testing, rua, dmarc_result, disposition, dkim_aligned, spf_aligned)
    VALUES ('k1', 'r1', $now, '192.0.2.99', 'ext.example', 'ext.example', 'treewalk', 'reject', 'r', 'r', 'n',
    'mailto:dmarc@reports.example', 'pass', 'pass', 'pass', 'fail')"
}
for way in without with; do
  edb=$INT_TMP/ext-$way.sqlite
  $BIMI report build --db "$edb" --from "$FROM" --to "$TO" --org-name T --org-email r@mx.demo.test \
    --zone fixtures/demo/demo.zone > /dev/null 2>&1   # creates the tables
  ext_db "$edb"
  zone=$INT_TMP/ext-$way.zone
  printf '$ORIGIN example.\nreports 300 IN A 192.0.2.98\n' > "$zone"
  [ "$way" = with ] && printf 'ext.example._report._dmarc.reports 300 IN TXT "v=DMARC1"\n' >> "$zone"
  b=$($BIMI report build --db "$edb" --from "$FROM" --to "$TO" --org-name T --org-email r@mx.demo.test \
        --zone "$zone" 2>&1)
  before=$(ls "$MAILDIR/new" | wc -l)
  cat > "$INT_TMP/ext.conf" <<EOF
[report]
org_name = T
org_email = r@mx.demo.test
smtp_url = smtp://127.0.0.1:$SMTP_PORT
EOF
  s=$($BIMI report send -c "$INT_TMP/ext.conf" --db "$edb" 2>&1)
  after=$(ls "$MAILDIR/new" | wc -l)
  if [ "$way" = without ]; then
    printf '%s' "$b" | grep -q 'not verified' && [ "$after" = "$before" ]
    int_ok $? "no _report._dmarc record: the external destination is refused, nothing sent" "$b" "$s"
  else
    printf '%s' "$s" | grep -q 'sent .* to dmarc@reports.example' && [ "$after" = $((before + 1)) ]
    int_ok $? "with ext.example._report._dmarc.reports.example v=DMARC1: built and sent" "$b" "$s"
  fi
done
tmpz=$INT_TMP/ext-temp.sqlite
$BIMI report build --db "$tmpz" --from "$FROM" --to "$TO" --org-name T --org-email r@mx.demo.test \
  --zone fixtures/demo/demo.zone > /dev/null 2>&1
ext_db "$tmpz"
b=$($BIMI report build --db "$tmpz" --from "$FROM" --to "$TO" --org-name T --org-email r@mx.demo.test \
      --zone "$INT_TMP/ext-without.zone" --dns-timeout ext.example._report._dmarc.reports.example 2>&1)
rc=$?
n=$(sqlite3 "$tmpz" "SELECT count(*) FROM report")
[ "$rc" = 3 ] && [ "$n" = 0 ] && printf '%s' "$b" | grep -q 'retried next run'
int_ok $? "DNS temperror during verification: deferred (exit 3), nothing stored, retried next run" "$b"

# ---- 5. bimi evaluate --report-db ----------------------------------------------------------------
edb=$INT_TMP/cli.sqlite
for i in 1 2 3; do
  $BIMI evaluate fixtures/demo/messages/spoof.eml --zone fixtures/demo/demo.zone --ip 192.0.2.66 \
    --helo mail.spoofer.demo.test --mail-from bounces@spoofer.demo.test --report-db "$edb" > /dev/null 2>&1
done
got=$(sqlite3 "$edb" "SELECT count(*), policy_domain, dmarc_result, disposition FROM evaluation" 2>&1)
[ "$got" = "1|vmc.demo.test|fail|none" ]
int_ok $? "bimi evaluate --report-db: evaluated 3 times, recorded once (fail, applied none)" "$got"
reason=$(sqlite3 "$edb" "SELECT type || ': ' || comment FROM evaluation_reason" 2>&1)
[ "$reason" = "local_policy: policy asked for reject; this receiver applied none: reject recommended, not applied without the user's consent (consent: none)" ]
int_ok $? "the policy not applied (no consent to filtering) is reported as local_policy" "$reason"
bad=$($BIMI evaluate fixtures/demo/messages/spoof.eml --zone fixtures/demo/demo.zone --report-db /nonexistent/dir/x.sqlite 2>&1)
rc=$?
[ "$rc" = 2 ] && printf '%s' "$bad" | grep -q '\[report\] db'
int_ok $? "an unusable --report-db is a start-up error naming [report] db" "exit $rc: $bad"

# ---- RFC 7489 format ------------------------------------------------------------------------------
o7=$INT_TMP/r7489
f7=$($BIMI report build -c "$DEMO/bimi.conf" --from "$FROM" --to "$TO" --out "$o7" --format rfc7489 2>/dev/null)
n7=$(printf '%s\n' "$f7" | grep -c .)
zcat "$o7"/*.xml.gz 2>/dev/null | grep -q '<feedback>'
int_ok $(( $? + (n7 != n_expect) )) "--format rfc7489: $n7 reports, no namespace (RFC 7489 Appendix C)" "$f7"

kill -TERM "$SMTP_PID" 2>/dev/null; wait "$SMTP_PID" 2>/dev/null; SMTP_PID=""
int_done
