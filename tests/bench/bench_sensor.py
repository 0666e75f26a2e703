#!/usr/bin/python3
"""make bench: the sensor's file-mode speed and memory against the libpcap floor.

Generates (once, cached under build/bench/) a 2,000,000-packet capture of
about half queries and half responses over 200,000 distinct names, then runs
the libpcap-only reader (the floor) and `almanac-sensor -r FILE -o /dev/null`
alternately, several rounds, and reports medians: packets/s of each, the
sensor's share of the floor's rate, and the sensor's peak RSS. Alternating
runs in one command keeps the ratio meaningful on a shared, noisy machine.
"""
import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def gen_key(args):
    h = hashlib.sha256()
    tools = os.path.join(ROOT, 'tests', 'tools')
    for dirpath, _, files in sorted(os.walk(tools)):
        for f in sorted(files):
            if f.endswith('.py'):
                with open(os.path.join(dirpath, f), 'rb') as fh:
                    h.update(fh.read())
    h.update(('%d %d %d' % (args.packets, args.names, args.seed)).encode())
    return h.hexdigest()[:16]


def ensure_capture(args, outdir):
    os.makedirs(outdir, exist_ok=True)
    pcap = os.path.join(outdir, 'bench-%s.pcap' % gen_key(args))
    if not os.path.exists(pcap):
        for f in os.listdir(outdir):
            if f.startswith('bench-') and f.endswith('.pcap'):
                os.unlink(os.path.join(outdir, f))
        t0 = time.monotonic()
        subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'tools', 'gencap.py'),
                        'bench', '--out', pcap + '.tmp', '--packets', str(args.packets),
                        '--names', str(args.names), '--seed', str(args.seed)], check=True)
        os.rename(pcap + '.tmp', pcap)
        print('generated %s in %.1f s' % (pcap, time.monotonic() - t0))
    return pcap


def timed(cmd):
    """Runs cmd; returns (seconds, peak RSS in KiB, stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit('bench: %s failed (%d): %s' % (cmd[0], p.returncode, err.decode()[-500:]))
    return elapsed, ru.ru_maxrss, err.decode()


def counters(stderr):
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', default='build')
    ap.add_argument('--packets', type=int, default=2000000)
    ap.add_argument('--names', type=int, default=200000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--rounds', type=int, default=7)
    args = ap.parse_args()
    outdir = os.path.join(ROOT, 'build', 'bench')
    pcap = ensure_capture(args, outdir)
    floor = os.path.join(ROOT, args.build, 'bench', 'pcap_floor')
    sensor = os.path.join(ROOT, args.build, 'almanac-sensor')

    floor_t, sensor_t, rss = [], [], []
    stats = {}
    for _ in range(args.rounds):
        floor_t.append(timed([floor, pcap])[0])
        t, m, err = timed([sensor, '-r', pcap, '-o', '/dev/null'])
        sensor_t.append(t)
        rss.append(m)
        stats = counters(err)
    n = stats.get('packets_seen', 0)
    if n != args.packets:
        sys.exit('bench: the sensor saw %d packets, expected %d' % (n, args.packets))
    f, s = statistics.median(floor_t), statistics.median(sensor_t)
    print('sensor file mode: %d packets (%d responses, %d names), %d rounds, medians'
          % (n, stats.get('dns_responses', 0), args.names, args.rounds))
    print('  libpcap floor    %.3f s  %6.2f M packets/s' % (f, n / f / 1e6))
    print('  almanac-sensor   %.3f s  %6.2f M packets/s  peak RSS %.1f MiB (max of runs)'
          % (s, n / s / 1e6, max(rss) / 1024))
    print('  sensor rate = %.0f%% of the floor\'s rate; observations emitted %d (+%d negative)'
          % (100 * f / s, stats.get('observations_emitted', 0), stats.get('negative_emitted', 0)))
    print('  target: >= 4.00 M packets/s, >= 40%% of the floor, < 64 MiB: %s'
          % ('met' if n / s >= 4e6 and f / s >= 0.4 and max(rss) < 65536 else 'NOT met'))


if __name__ == '__main__':
    main()
