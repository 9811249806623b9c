#!/bin/bash
# bench/survey.sh — `bimi survey` as the bulk mode (issue 17): a generated Maildir of BENCH_SURVEY_COUNT
# messages (tests/survey/generate.py --count, a week of mail over the cases of the survey test, DNS from
# tests/survey/survey.zone offline) surveyed with --jobs 1 and --jobs 2; messages/s of each and the ratio,
# printed, not asserted (the machine is shared).
#
#   BENCH_SURVEY_COUNT   messages (default 3000)
set -eu
BIMI=${BIMI:-build/bimi}
COUNT=${BENCH_SURVEY_COUNT:-3000}
[ -x "$BIMI" ] || { echo "survey: $BIMI missing (run make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 tests/survey/generate.py "$tmp/Maildir" --count "$COUNT"
run() { # jobs -> messages/s
  "$BIMI" survey -c tests/survey/survey.conf --trust-store data/bimi-roots.pem --ct-logs data/ct-logs.cnf \
    --zone tests/survey/survey.zone --dns-timeout 4.2.0.192.in-addr.arpa --timeout-ms 200 \
    --jobs "$1" --json "$tmp/Maildir" |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print("%.1f %d" % (d["messages_per_second"], d["messages"]["evaluated"]))'
}
read -r r1 n1 < <(run 1)
read -r r2 n2 < <(run 2)
printf '%-28s %10s %12s\n' "survey ($COUNT messages)" evaluated "messages/s"
printf '%-28s %10s %12s\n' "--jobs 1" "$n1" "$r1"
printf '%-28s %10s %12s\n' "--jobs 2" "$n2" "$r2"
python3 -c "print('%-28s %23.2fx' % ('jobs 2 / jobs 1', $r2 / $r1))"
