#!/bin/sh
# make demo: a short tour of what Almanac does today. Generates a realistic
# capture (queries, responses, CNAME chains, NXDOMAIN, TCP, fragments,
# IPv6, VLAN tags), runs the sensor over it and shows a sample of the
# observations and the sensor's counters.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
py=/usr/bin/python3

echo "== generating a capture of realistic DNS traffic"
$py tests/tools/gencap.py realistic --out "$out/demo.pcap" --truth "$out/demo.truth.jsonl" \
	--packets 20000 --link mixed --seed 7
echo
echo "== almanac-sensor -r $out/demo.pcap -o $out/demo.jsonl"
build/almanac-sensor -r "$out/demo.pcap" -o "$out/demo.jsonl" --sensor-id demo-sensor \
	2>"$out/demo.stats"
echo
echo "== a sample of the observations (COF JSON lines)"
grep -m3 '"rrtype":"A"' "$out/demo.jsonl"
grep -m2 '"rrtype":"CNAME"' "$out/demo.jsonl" || true
grep -m1 '"rrtype":"MX"' "$out/demo.jsonl" || true
grep -m1 '"rrtype":"TXT"' "$out/demo.jsonl" || true
grep -m1 '"rrtype":"HTTPS"' "$out/demo.jsonl" || true
grep -m1 '"rcode":"NXDOMAIN"' "$out/demo.jsonl" || true
echo
echo "== the sensor's counters (non-zero)"
grep -v ' 0$' "$out/demo.stats"
echo
lines=$(wc -l < "$out/demo.jsonl")
echo "$lines observation lines in $out/demo.jsonl; the generator's ground truth is in $out/demo.truth.jsonl"
