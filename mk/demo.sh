#!/bin/sh
# make demo: the whole product on loopback, for a newcomer.
#
#   a throw-away PKI (deploy/almanac-pki), an aggregator with its query API
#   and status page, two sites whose sensors ship generated captures of
#   realistic DNS traffic over mutual TLS, then real `almanac` queries: an
#   rrset, a left-hand wildcard, a CIDR range, NXDOMAINs, and the sites'
#   health. Keeps running (sensors heartbeating) until Ctrl-C, so the
#   status page and the API can be explored; ONCE=1 exits after the answers.
#
# Everything lives in build/demo/ and is recreated on each run.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build/demo
py=/usr/bin/python3
http_port=${DEMO_HTTP_PORT:-8053}
once=${ONCE:-}

free_port() {
	$py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_busy() {
	$py -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

pids=""
cleanup() {
	trap - EXIT INT TERM
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo; echo "== stopping"; exit 0' INT TERM

rm -rf "$out"
mkdir -p "$out"
port_busy "$http_port" && http_port=$(free_port)
ingest_port=$(free_port)
server=http://127.0.0.1:$http_port
almanac() { "$root/build/almanac" --server "$server" "$@"; }

echo "== a throw-away PKI in $out/pki (deploy/almanac-pki)"
pki="deploy/almanac-pki -d $out/pki"
deploy/almanac-pki init "$out/pki" >/dev/null
$pki aggregator localhost >/dev/null
$pki sensor hq-1 --site hq >/dev/null
$pki sensor lab-1 --site lab >/dev/null
echo "   CA, aggregator 'localhost', sensors hq-1 (site hq) and lab-1 (site lab)"

echo "== two captures of realistic DNS traffic (tests/tools/gencap.py)"
for s in hq:7 lab:8; do
	$py tests/tools/gencap.py realistic --out "$out/${s%:*}.pcap" --truth "$out/${s%:*}.truth.jsonl" \
		--packets 20000 --link mixed --seed "${s#*:}" 2>&1 | sed "s/^/   /"
done

echo "== almanac-aggregator: sensors on tls+tcp://localhost:$ingest_port, queries on $server"
build/almanac-aggregator --listen "tls+tcp://localhost:$ingest_port" --http "127.0.0.1:$http_port" \
	--db "$out/db" --ca "$out/pki/ca.crt" --cert "$out/pki/localhost.crt" \
	--key "$out/pki/localhost.key" --crl "$out/pki/crl.pem" \
	--stale-after 30 --down-after 90 2>"$out/aggregator.log" &
pids="$pids $!"
i=0
until grep -q '^ready$' "$out/aggregator.log"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $! 2>/dev/null; then
		cat "$out/aggregator.log" >&2
		exit 1
	fi
	sleep 0.1
done

sensor() { # NAME CAPTURE STATE [OPTIONS]: one sensor shipping to the aggregator
	n=$1 cap=$2 state=$3
	shift 3
	exec build/almanac-sensor -r "$cap" --aggregator "tls+tcp://localhost:$ingest_port" \
		--ca "$out/pki/ca.crt" --cert "$out/pki/$n.crt" --key "$out/pki/$n.key" \
		--state-dir "$state" "$@"
}

echo "== the sensors decode their captures and ship them (signed batches, acked once stored)"
for s in hq:hq-1 lab:lab-1; do
	site=${s%:*} n=${s#*:}
	(sensor "$n" "$out/$site.pcap" "$out/$n.state") 2>"$out/$n.log"
	printf '   %-6s %s\n' "$n:" "$(grep -E '^  (packets_seen|observations_emitted|batches_acked) ' \
		"$out/$n.log" | awk '{printf "%s %s  ", $1, $2}')"
done
# Then each site's sensor stays connected, idle, heartbeating every 5 s
# (reading a pipe the demo keeps open), so the sites stay "ok".
for s in hq:hq-1 lab:lab-1; do
	site=${s%:*} n=${s#*:}
	mkfifo "$out/$n.pipe"
	sleep 2147483647 >"$out/$n.pipe" &
	pids="$pids $!"
	head -c 24 "$out/$site.pcap" >"$out/$n.pipe" &
	(sensor "$n" "$out/$n.pipe" "$out/$n.idle" --heartbeat-interval 5) 2>"$out/$n.idle.log" &
	pids="$pids $!"
done

# Examples taken from what was captured.
eval "$($py - "$out/hq.truth.jsonl" <<'EOF'
import collections, ipaddress, json, sys
recs = [json.loads(line) for line in open(sys.argv[1])]
a = [r for r in recs if r['rrtype'] == 'A' and 'rdata' in r]
name = collections.Counter(r['rrname'] for r in a).most_common(1)[0][0]
parents = collections.Counter('.'.join(r['rrname'].split('.')[1:]) for r in recs
                              if 'rdata' in r and r['rrname'].count('.') >= 2)
parent = parents.most_common(1)[0][0]
nets = collections.Counter(str(ipaddress.ip_network(r['rdata'] + '/24', strict=False)) for r in a)
nx = [r for r in recs if r.get('rcode') == 'NXDOMAIN']
print("name=%s parent=%s net=%s nxparent=%s" % (name, parent, nets.most_common(1)[0][0],
      '.'.join(nx[0]['rrname'].split('.')[-2:]) if nx else parent))
EOF
)"

show() {
	echo
	echo "\$ almanac $*"
	almanac "$@" || true
}
echo
echo "== queries, with build/almanac (the analyst's command line) against $server"
show rrset "$name" --table
show rrset "*.$parent" A --limit 8 --table
show rdata ip "$net" --limit 8 --table
show nxdomain "*.$nxparent" --limit 5 --table
show summarize rrset "*.$parent" --table
echo
echo "\$ curl -s '$server/dnsdb/v2/lookup/rrset/name/$name/A'    # DNSDB API v2, SAF framing"
$py -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
	"$server/dnsdb/v2/lookup/rrset/name/$name/A"
sleep 1 # a heartbeat from each idle sensor
show sites --table

echo
echo "== status page: $server/    metrics: $server/metrics    sites: $server/api/v1/sites"
echo "   logs and data: $out/   (aggregator.log, *.log, db/)"
if [ -n "$once" ]; then
	exit 0
fi
echo "   Try: build/almanac --server $server rrset '*.$parent'"
echo "   Stop a site's sensor (kill $(echo "$pids" | awk '{print $NF}')) and watch lab turn stale after 30 s, down after 90 s."
echo "   Ctrl-C stops everything."
while :; do
	sleep 3600 &
	wait $! || true # a trapped signal interrupts wait (not a foreground sleep)
done
