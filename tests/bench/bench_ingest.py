#!/usr/bin/python3
"""make bench, ingest: observations merged per second into a store growing to
10 million distinct tuples, durably (synced group commits), over real mutual
TLS from several concurrent sensors (tests/bench/ingest_bench.c, each
sensor with its own certificate, stream and signed batches), into a real
almanac-aggregator process. Reports obs/s, batch latency percentiles, the
aggregator's peak RSS, and the store's bytes per tuple after compaction.
Next to it, in the same run: the writer's merge path alone and plain
LevelDB synced puts (tests/bench/store_bench.c), so the figures can be read
as ratios on a noisy machine.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PKI = os.path.join(ROOT, 'deploy', 'almanac-pki')


def vm_hwm_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def du_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', default='build')
    ap.add_argument('--tuples', type=int, default=10000000)
    ap.add_argument('--sensors', type=int, default=4)
    ap.add_argument('--inflight', type=int, default=4)
    ap.add_argument('--batch', type=int, default=20000)
    ap.add_argument('--repeat', type=float, default=0.5)
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    work = tempfile.mkdtemp(prefix='almanac-bench-', dir=os.path.join(ROOT, 'build'))
    try:
        pki = os.path.join(work, 'pki')
        subprocess.run([PKI, 'init', pki], check=True, capture_output=True)
        subprocess.run([PKI, '-d', pki, 'aggregator', 'localhost'], check=True,
                       capture_output=True)
        for k in range(1, args.sensors + 1):
            subprocess.run([PKI, '-d', pki, 'sensor', 'bench%d' % k, '--site', 'site%d' % k],
                           check=True, capture_output=True)

        os.makedirs(os.path.join(work, 'sb'))
        sb = subprocess.run([os.path.join(build, 'bench', 'store_bench'),
                             os.path.join(work, 'sb'), '2000000', str(args.repeat)],
                            check=True, capture_output=True, text=True).stdout
        shutil.rmtree(os.path.join(work, 'sb'), ignore_errors=True)

        import socket
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        url = 'tls+tcp://localhost:%d' % port
        db = os.path.join(work, 'db')
        agg = subprocess.Popen([os.path.join(build, 'almanac-aggregator'), '--listen', url,
                                '--db', db, '--ca', os.path.join(pki, 'ca.crt'),
                                '--cert', os.path.join(pki, 'localhost.crt'),
                                '--key', os.path.join(pki, 'localhost.key')],
                               stderr=subprocess.PIPE, text=True)
        log = []
        threading.Thread(target=lambda: [log.append(l) for l in agg.stderr], daemon=True).start()
        while 'ready\n' not in log:
            if agg.poll() is not None:
                sys.exit('bench: the aggregator did not start:\n' + ''.join(log))
            time.sleep(0.05)
        res = subprocess.run([os.path.join(build, 'bench', 'ingest_bench'), url,
                              os.path.join(pki, 'ca.crt'), pki, str(args.sensors),
                              str(args.inflight), str(args.tuples), str(args.batch),
                              str(args.repeat)], check=True, capture_output=True,
                             text=True).stdout.strip()
        rss = vm_hwm_kib(agg.pid)
        agg.terminate()
        agg.wait(timeout=120)
        subprocess.run([os.path.join(build, 'almanac-aggregator'), '--db', db, '--compact'],
                       check=True, capture_output=True)
        size = du_bytes(db)
        f = dict(kv.split('=') for kv in res.split())
        print('ingest: %s sensors x %s in flight, %s obs/batch, %d%% repeated tuples'
              % (args.sensors, args.inflight, args.batch, int(args.repeat * 100)))
        print('  %s observations (%s distinct tuples) in %s s: %s obs/s'
              % (f['obs'], f['distinct'], f['seconds'], f['obs_per_s']))
        print('  batch latency (send to ack): p50 %s ms, p99 %s ms, max %s ms'
              % (f['p50_ms'], f['p99_ms'], f['max_ms']))
        print('  aggregator peak RSS %.0f MiB; store %.1f MiB after compaction, %.1f bytes/tuple'
              % (rss / 1024, size / 2 ** 20, size / int(f['distinct'])))
        for line in sb.splitlines():
            kv = dict(x.split('=') for x in line.split()[1:])
            print('  same machine, no network: %-12s %s obs/s%s'
                  % (line.split()[0], kv['obs_per_s'],
                     ' (%.0f%% of plain LevelDB)' % (100 * float(kv['ratio']))
                     if 'ratio' in kv else ''))
        print('  target: >= 300000 obs/s sustained: %s'
              % ('met' if float(f['obs_per_s']) >= 300000 else 'NOT met'))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
