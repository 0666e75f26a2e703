#!/usr/bin/python3
"""Generate DNS captures with ground truth for almanac-sensor tests.

  gencap.py realistic --out X.pcap --truth X.truth.jsonl [--counters X.counters]
            [--seed N] [--packets N] [--format pcap|pcap-nsec|pcapng]
            [--link ethernet|vlan|qinq|sll|sll2|raw|null|loop|mixed]
            [--duration SECONDS] [--sections answer,authority,additional]
  gencap.py bench --out X.pcap [--packets 2000000] [--names 200000] [--seed N]
            [--truth X.truth.jsonl] [--counters X.counters]

Truth: merged observations (docs/observations.md), one JSON object a line,
sorted. Counters: "name value" lines, only counters whose value is exact.
With --truth X.truth.jsonl and no --counters, counters go to X.counters.
Output is a function of the arguments only (same seed, same bytes).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pcapgen import bench, realistic  # noqa: E402


def default_counters(args):
    if args.counters or not args.truth:
        return args.counters
    base = args.truth
    for suffix in ('.truth.jsonl', '.jsonl'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    return base + '.counters'


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='mode', required=True)
    r = sub.add_parser('realistic')
    r.add_argument('--packets', type=int, default=20000)
    r.add_argument('--format', choices=('pcap', 'pcap-nsec', 'pcapng'), default='pcap')
    r.add_argument('--link', choices=realistic.LINKS, default='ethernet')
    r.add_argument('--duration', type=int, default=300)
    r.add_argument('--sections', default='answer',
                   help='sections the truth takes RRs from, as the sensor option')
    b = sub.add_parser('bench')
    b.add_argument('--packets', type=int, default=2000000)
    b.add_argument('--names', type=int, default=200000)
    b.add_argument('--duration', type=int, default=600)
    for p in (r, b):
        p.add_argument('--out', required=True)
        p.add_argument('--truth')
        p.add_argument('--counters')
        p.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    counters = default_counters(args)
    t0 = time.monotonic()
    if args.mode == 'realistic':
        sections = tuple(s for s in args.sections.split(',') if s)
        bad = set(sections) - {'answer', 'authority', 'additional'}
        if bad:
            ap.error('unknown section %s' % ', '.join(sorted(bad)))
        realistic.generate(args.out, args.truth, counters, args.seed, args.packets,
                           args.format, args.link, args.duration, sections)
        n = args.packets
    else:
        n = bench.generate(args.out, args.packets, args.names, args.seed,
                           args.duration, args.truth, counters)
    print('gencap: %d packets to %s in %.1f s' % (n, args.out, time.monotonic() - t0),
          file=sys.stderr)


if __name__ == '__main__':
    main()
