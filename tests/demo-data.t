#!/bin/bash
# tests/demo-data.t — the demo data (fixtures/demo) is what it claims, checked with the engine's own tools:
#  - demo.zone is demo.zone.in rendered for `make run`; sign-messages.py, rerun in a copy, reproduces the
#    committed messages, manifest and zones byte for byte;
#  - the manifest lists exactly the messages, with the fields the page and the tests read;
#  - the logos pass SVG Tiny PS (bimi svg check), the bad one fails;
#  - fixtures/demo/generate makes a PKI whose chains verify as intended (bimi cert verify): VMC Registered
#    Mark, CMC Prior Use Mark, expired; the origin's docroot and TLS certificate;
#  - each message's FCrDNS, SPF, DKIM, ARC and DMARC (bimi rdns, bimi dmarc with the demo's trusted sealer)
#    are the ones its case needs;
#  - the caution cases (issue 19): the IDN lookalike's A-label is vmc.demo.test with one Cyrillic letter, the
#    display-name spoof and the unrelated "Acme" authenticate for their own domains only, and the demo's
#    brands file (fixtures/demo/brands.conf) names Acme Rockets' domain and logo hash;
#  - nsd serves the demo zones and bimi answers .test names through it as from the zone file.
# The decisions themselves need bimi-fcgi: tests/demo.t runs the stack. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
D=fixtures/demo
Z=(--zone "$D/demo.zone")
if [ ! -x "$BIMI" ]; then echo "Bail out! $BIMI is not built"; exit 1; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bimi-demo-data.XXXXXX")
nsd_pid=""
cleanup() {
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null; wait "$nsd_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. tests/lib/tap.sh
note() { printf '%s\n' "$@" | sed 's/^/# /'; }

echo "1..20"

# 1. the committed zone is the template rendered with 8443
if sed 's/@ORIGIN_PORT@/8443/g' "$D/demo.zone.in" | cmp -s - "$D/demo.zone"; then
  ok 0 "demo.zone is demo.zone.in with origin port 8443"
else
  ok 1 "demo.zone is demo.zone.in with origin port 8443"
fi

# 2. the signing generator reproduces every committed output
mkdir -p "$tmp/copy/fixtures/demo" "$tmp/copy/fixtures/lib"
cp -r "$D/." "$tmp/copy/fixtures/demo/"
cp -r fixtures/lib/. "$tmp/copy/fixtures/lib/"   # dkimkeys.py, which the generator imports
if "$PY" "$tmp/copy/fixtures/demo/sign-messages.py" 2>/dev/null &&
   diff -r "$D" "$tmp/copy/fixtures/demo" > "$tmp/diff" 2>&1; then
  ok 0 "sign-messages.py reproduces the messages, the manifest and the zones"
else
  ok 1 "sign-messages.py reproduces the messages, the manifest and the zones"
  note "$(head -n 20 "$tmp/diff")"
fi

# 3. manifest: every message listed once, every field present, expectations from the decision vocabulary
out=$("$PY" - "$D/messages" <<'PY' 2>&1
import json, os, sys
d = sys.argv[1]
rows = json.load(open(os.path.join(d, "index.json")))
files = sorted(f for f in os.listdir(d) if f.endswith(".eml"))
listed = [r["file"] for r in rows]
assert sorted(listed) == files and len(set(listed)) == len(listed), (listed, files)
kinds = {"logo+checkmark", "logo", "none"}
signals = {"display-name", "lookalike-domain", "both", None}
for r in rows:
    for k in ("file", "label", "from", "subject", "ip", "helo", "mail_from", "expect"):
        assert isinstance(r.get(k), (str, dict)) and r[k], (r["file"], k)
    assert r["expect"]["decision"] in kinds, r
    assert (r["expect"]["decision"] == "none") == (r["expect"]["reason"] not in ("vmc", "cmc")), r
    assert "caution" in r["expect"] and r["expect"]["caution"] in signals, r
    assert r["expect"]["caution"] is None or r["expect"]["decision"] == "none", r
want = {("logo+checkmark", "vmc"), ("logo", "cmc"), ("none", "evidence-missing"), ("none", "dmarc-not-enforcing"),
        ("none", "no-fcrdns"), ("none", "svg-invalid"), ("none", "evidence-invalid"), ("none", "dmarc-fail"),
        ("none", "no-record")}
got = {(r["expect"]["decision"], r["expect"]["reason"]) for r in rows}
assert want <= got, want - got
cautions = {r["file"]: r["expect"]["caution"] for r in rows}
assert cautions["spoof.eml"] and cautions["display-name.eml"] == "display-name", cautions
assert cautions["idn-lookalike.eml"] == "lookalike-domain" and cautions["acme-plumbing.eml"] is None, cautions
assert cautions["vmc.eml"] is None and cautions["noptr.eml"] is None, cautions
print(len(rows))
PY
); rc=$?
ok $rc "manifest lists the $out messages with envelope and expectations, every demo case covered"
[ $rc = 0 ] || note "$out"

# 4. logos
bad=""
for f in "$D"/logos/*.svg; do
  "$BIMI" svg check "$f" >/dev/null 2>&1; rc=$?
  case "$f" in
    *-invalid.svg) [ $rc = 1 ] || bad="$bad $f(exit $rc, want 1)" ;;
    *) [ $rc = 0 ] || bad="$bad $f(exit $rc, want 0)" ;;
  esac
done
ok "$([ -z "$bad" ] && echo 0 || echo 1)" "logos are SVG Tiny PS, badsvg-invalid.svg is not"
[ -z "$bad" ] || note "$bad"

# 5-9. the run-time PKI and docroot
if "$D/generate" "$tmp/gen" --origin-port 18443 --crl-port 18444 > "$tmp/gen.log" 2>&1; then
  ok 0 "fixtures/demo/generate writes the zone, the PKI, the docroot and the TLS certificate"
else
  ok 1 "fixtures/demo/generate writes the zone, the PKI, the docroot and the TLS certificate"
  note "$(cat "$tmp/gen.log")"
fi
verify() {  # verify CHAIN DOMAIN LOGO → output; exit of bimi cert verify
  "$BIMI" cert verify "$tmp/gen/pki/$1" --domain "$2" --svg "$D/logos/$3" --trust-store "$tmp/gen/pki/root.pem" \
    --ct-logs "$tmp/gen/pki/ct-logs.cnf" --revocation off 2>&1
}
out=$(verify vmc.pem vmc.demo.test vmc.svg); rc=$?
[ $rc = 0 ] && grep -q '^verdict: *VALID' <<<"$out" && grep -q '^type: *vmc' <<<"$out" &&
  grep -q '^mark type: *Registered Mark' <<<"$out" && grep -q 'verified by bimi-engine Demo CT Log' <<<"$out" &&
  grep -q 'logo hash:.*(matches)' <<<"$out"
ok $? "vmc.pem: valid VMC, Registered Mark, SCT of the demo log, logotype = the l= logo"
[ $rc = 0 ] || note "$out"
out=$(verify cmc.pem cmc.demo.test cmc.svg); rc=$?
[ $rc = 0 ] && grep -q '^type: *cmc' <<<"$out" && grep -q '^mark type: *Prior Use Mark' <<<"$out"
ok $? "cmc.pem: valid CMC, Prior Use Mark"
[ $rc = 0 ] || note "$out"
out=$(verify expired.pem expired.demo.test expired.svg); rc=$?
[ $rc = 1 ] && grep -q '^FAIL expired' <<<"$out"
ok $? "expired.pem: invalid, expired (and nothing else fails)"
[ "$(grep -c '^FAIL' <<<"$out")" = 1 ] || { note "$out"; }
out=$(verify badsvg.pem badsvg.demo.test badsvg.svg); rc=$?
docroot_ok=1
cmp -s "$tmp/gen/origin/badsvg/logo.svg" "$D/logos/badsvg-invalid.svg" &&
  cmp -s "$tmp/gen/origin/vmc/vmc.pem" "$tmp/gen/pki/vmc.pem" && [ -s "$tmp/gen/crl/intermediate.crl" ] &&
  openssl verify -CAfile fixtures/tls/ca.pem "$tmp/gen/tls/origin.pem" >/dev/null 2>&1 &&
  openssl x509 -in "$tmp/gen/tls/origin.pem" -noout -ext subjectAltName | grep -q 'DNS:origin.demo.test' &&
  grep -q 'l=https://origin.demo.test:18443/vmc/logo.svg' "$tmp/gen/demo.zone" &&
  openssl x509 -in "$tmp/gen/pki/vmc.pem" -noout -ext crlDistributionPoints | grep -q 'http://crl.demo.test:18444/intermediate.crl' &&
  docroot_ok=0
[ $rc = 0 ] && [ $docroot_ok = 0 ]
ok $? "badsvg.pem valid; the origin serves the invalid SVG; TLS certificate of the test CA for origin.demo.test; ports in zone and CRL DP"
[ $rc = 0 ] || note "$out"

# 10-14. authentication of each message, as its case needs
auth() {  # auth FILE → "rdns spf dkim arc dmarc override"
  "$PY" - "$1" "${Z[@]}" <<'PY'
import json, subprocess, sys
f = sys.argv[1]; zone = sys.argv[2:]
row = [r for r in json.load(open("fixtures/demo/messages/index.json")) if r["file"] == f][0]
d = json.loads(subprocess.run(["build/bimi", "dmarc", "fixtures/demo/messages/" + f, "--ip", row["ip"], "--helo", row["helo"],
                               "--mail-from", row["mail_from"], "--trusted-arc-sealer", "lists.demo.test", "--json"] + zone,
                              capture_output=True, text=True).stdout)
rd = subprocess.run(["build/bimi", "rdns", row["ip"]] + zone, capture_output=True, text=True).stdout.split()[0]
print(rd.split("=")[1], d["spf"]["result"], ",".join(s["result"] for s in d["dkim"]) or "none",
      d["arc"]["result"], d["dmarc"]["result"], d["dmarc"].get("override") or "-")
PY
}
check_auth() {
  local file=$1 want=$2 got
  got=$(auth "$file" 2>&1)
  [ "$got" = "$want" ]
  ok $? "$file: rdns spf dkim arc dmarc override = $want"
  [ "$got" = "$want" ] || note "got: $got"
}
check_auth vmc.eml "pass pass pass none pass -"
check_auth arc-forwarded.eml "pass pass fail pass fail arc"
check_auth noptr.eml "none pass pass none pass -"
check_auth spoof.eml "pass pass none none fail -"
bad=""
for f in cmc.eml noevidence.eml pnone.eml badsvg.eml expired.eml display-name.eml idn-lookalike.eml acme-plumbing.eml; do
  got=$(auth "$f" 2>&1)
  [ "$got" = "pass pass pass none pass -" ] || bad="$bad $f($got)"
done
ok "$([ -z "$bad" ] && echo 0 || echo 1)" "cmc, noevidence, pnone, badsvg, expired and the caution cases: everything passes"
[ -z "$bad" ] || note "$bad"

# 15. the caution cases pass DMARC for their own domains, none of them Acme Rockets' (vmc.demo.test); the
#     lookalike's A-label is vmc.demo.test with one Latin letter swapped for a Cyrillic one
out=$("$PY" - "${Z[@]}" <<'PY' 2>&1
import json, subprocess, sys, unicodedata
zone = sys.argv[1:]
rows = {r["file"]: r for r in json.load(open("fixtures/demo/messages/index.json"))}
for f, domain in (("display-name.eml", "rocket-deals.demo.test"), ("idn-lookalike.eml", "xn--vm-pmc.demo.test"),
                  ("acme-plumbing.eml", "acmeplumbing.demo.test")):
    r = rows[f]
    assert r["from"].endswith("@%s>" % domain), (f, r["from"])
    d = json.loads(subprocess.run(["build/bimi", "dmarc", "fixtures/demo/messages/" + f, "--ip", r["ip"], "--helo", r["helo"],
                                   "--mail-from", r["mail_from"], "--json"] + zone, capture_output=True, text=True).stdout)
    signers = sorted(s["d"] for s in d["dkim"] if s["result"] == "pass")
    assert signers == [domain], (f, d["dkim"])
label = "xn--vm-pmc".encode("ascii").decode("idna")
assert len(label) == 3 and label[:2] == "vm" and unicodedata.name(label[2]) == "CYRILLIC SMALL LETTER ES", label
assert rows["display-name.eml"]["from"].startswith("Acme Rockets Support <")
assert rows["acme-plumbing.eml"]["from"].startswith("Acme Plumbing <")
print(label + ".demo.test")
PY
); rc=$?
ok $rc "display-name, IDN lookalike ($out), Acme Plumbing: DKIM passes for the From domain only, not vmc.demo.test"
[ $rc = 0 ] || note "$out"

# 16. the demo's brands file: Acme Rockets = vmc.demo.test with its logo's SHA-256, Bluebird Bakery = cmc.demo.test
out=$("$PY" - "$D" <<'PY' 2>&1
import configparser, hashlib, sys
d = sys.argv[1]
k = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",), delimiters=("=",))
k.optionxform = str
k.read_file(open(d + "/brands.conf", encoding="utf-8"))
assert k.sections() == ["Acme Rockets", "Bluebird Bakery"], k.sections()
for brand, domain, logo in (("Acme Rockets", "vmc.demo.test", "vmc"), ("Bluebird Bakery", "cmc.demo.test", "cmc")):
    assert [x for x in k[brand]["domains"].split(";") if x] == [domain], (brand, k[brand]["domains"])
    want = hashlib.sha256(open("%s/logos/%s.svg" % (d, logo), "rb").read()).hexdigest()
    assert k[brand]["logo_sha256"] == want, (brand, k[brand]["logo_sha256"], want)
PY
); rc=$?
ok $rc "brands.conf: Acme Rockets = vmc.demo.test, Bluebird Bakery = cmc.demo.test, logo_sha256 = their SVGs' SHA-256"
[ $rc = 0 ] || note "$out"

# 17. the caution of each message that gets none without fetching anything, offline through bimi evaluate with the
#     demo's brands file (no VMC seen yet: the operator list alone names Acme Rockets)
printf '[dns]\nzone_files = %s\n[policy]\nfcrdns = require\n[caution]\nbrands_file = %s\n[cache]\ndir = %s\n' \
  "$(pwd)/$D/demo.zone" "$(pwd)/$D/brands.conf" "$tmp/cache-caution" > "$tmp/caution.conf"
out=$("$PY" - "$tmp/caution.conf" <<'PY' 2>&1
import json, subprocess, sys
bad = []
for r in json.load(open("fixtures/demo/messages/index.json")):
    if r["expect"]["decision"] != "none" or r["expect"]["reason"] not in ("dmarc-fail", "no-record", "no-fcrdns",
                                                                           "dmarc-not-enforcing"):
        continue
    p = subprocess.run(["build/bimi", "evaluate", "-c", sys.argv[1], "--json", "fixtures/demo/messages/" + r["file"],
                        "--ip", r["ip"], "--helo", r["helo"], "--mail-from", r["mail_from"]], capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        bad.append("%s: exit %d %s" % (r["file"], p.returncode, p.stderr.strip()[:300]))
        continue
    c = d.get("caution")
    got = (d["decision"], d["reason"], c and c.get("signal"), c and c.get("brand"), c and c.get("domains"))
    want = (r["expect"]["decision"], r["expect"]["reason"], r["expect"]["caution"],
            r["expect"]["caution"] and "Acme Rockets", r["expect"]["caution"] and ["vmc.demo.test"])
    if got != want:
        bad.append("%s: got %r, want %r" % (r["file"], got, want))
    print(r["file"], got[2] or "-")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
); rc=$?
ok $rc "bimi evaluate with brands.conf: the caution signal of every message that gets none offline is its expect.caution"
note "$out"

# 18. the ARC row is the demo's policy choice: without bimi_accept_arc_override the forwarded message gets none
printf '[dns]\nzone_files = %s\n[policy]\ntrusted_arc_sealers = lists.demo.test\nbimi_accept_arc_override = false\n[cache]\ndir = %s\n' \
  "$(pwd)/$D/demo.zone" "$tmp/cache" > "$tmp/no-override.conf"
out=$("$BIMI" evaluate -c "$tmp/no-override.conf" --json "$D/messages/arc-forwarded.eml" --ip 192.0.2.50 \
  --helo mail.lists.demo.test --mail-from rocket-fans-bounces@lists.demo.test 2>&1 |
  "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["decision"], d["reason"], d["auth"]["dmarc"].get("override"))' 2>&1)
[ "$out" = "none dmarc-fail arc" ]
ok $? "arc-forwarded.eml with bimi_accept_arc_override = false: none (dmarc-fail), the ARC override noted"
[ "$out" = "none dmarc-fail arc" ] || note "got: $out"

# 19-20. nsd serving the demo zones; .test names through a forwarder
NSD=$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)
. tests/lib/net.sh
mkdir -p "$tmp/nsd"
awk -v out="$tmp/nsd" '/^\$ORIGIN / { name = $2; sub(/\.$/, "", name); file = out "/" name ".zone"; print "$TTL 300" > file
    printf "zone:\n  name: \"%s\"\n  zonefile: \"%s.zone\"\n", name, name > (out "/zones.conf") }
  file != "" { print >> file }' "$D/demo.zone"
started=""
for attempt in 1 2 3; do
  port=$(free_port)
  nsd_server_conf "$tmp/nsd" "$tmp/nsd" "$port" > "$tmp/nsd/nsd.conf"
  cat "$tmp/nsd/zones.conf" >> "$tmp/nsd/nsd.conf"
  "$NSD" -d -c "$tmp/nsd/nsd.conf" >> "$tmp/nsd/nsd.log" 2>&1 &
  nsd_pid=$!
  for _ in $(seq 1 50); do
    kill -0 "$nsd_pid" 2>/dev/null || break
    if "$BIMI" dns SOA demo.test --forwarder "127.0.0.1@$port" --timeout-ms 300 >/dev/null 2>&1 ||
       "$BIMI" dns TXT _dmarc.vmc.demo.test --forwarder "127.0.0.1@$port" --timeout-ms 300 >/dev/null 2>&1; then
      started=1; break
    fi
    sleep 0.1
  done
  [ -n "$started" ] && break
  kill "$nsd_pid" 2>/dev/null; wait "$nsd_pid" 2>/dev/null; nsd_pid=""
done
if [ -z "$started" ]; then
  ok 1 "nsd serves the demo zones"; note "$(cat "$tmp/nsd/nsd.log" 2>/dev/null)"
  ok 1 "names under demo.test and the reverse zone answer alike online and offline"
else
  ok 0 "nsd serves the demo zones (127.0.0.1@$port)"
  bad=""
  for q in "TXT _dmarc.vmc.demo.test" "TXT default._bimi.cmc.demo.test" "TXT s2024._domainkey.cmc.demo.test" \
           "A mail.vmc.demo.test" "PTR 10.2.0.192.in-addr.arpa" "PTR 11.2.0.192.in-addr.arpa" "TXT nosuch.demo.test" \
           "TXT _dmarc.demo.test" "TXT _dmarc.test" "TXT _dmarc.xn--vm-pmc.demo.test" "PTR 85.2.0.192.in-addr.arpa"; do
    # shellcheck disable=SC2086
    a=$("$BIMI" dns $q "${Z[@]}" 2>&1 | grep -v '^ttl:' | sed -E 's/^([A-Z]+) [0-9]+ /\1 /'); ra=$?
    # shellcheck disable=SC2086
    b=$("$BIMI" dns $q --forwarder "127.0.0.1@$port" 2>&1 | grep -v '^ttl:' | sed -E 's/^([A-Z]+) [0-9]+ /\1 /')
    [ "$a" = "$b" ] || bad="$bad [$q: offline '$a' online '$b']"
  done
  ok "$([ -z "$bad" ] && echo 0 || echo 1)" "names under demo.test and the reverse zone answer alike online and offline"
  [ -z "$bad" ] || note "$bad"
fi
exit $((fails > 0))
