#!/usr/bin/python3
"""make bench, queries (issue 4): a real almanac-aggregator on a store of 10
million tuples answers HTTP queries from tests/bench/query_bench.c (32
keep-alive connections, one request in flight each). Reported, as the
median of interleaved rounds so a noisy machine weighs on all alike:

  floor   /dnsdb/v2/ping: the HTTP transport alone, no store access
  hit     exact rrset lookups of names that exist (native and DNSDB API)
  miss    exact rrset lookups of names that do not exist
  wild    a left-hand wildcard over a large result (results/s, MB/s)
  cidr    a /16 over a large result (results/s, MB/s)

with latency percentiles, the ratio to the floor, the CPU time each request
cost the aggregator and the client, the aggregator's peak RSS, and a verdict
against the target: >= 20,000 lookups/s with p99 < 5 ms.

The store is generated (GENERATOR below), imported with
`almanac-aggregator --import` in chunks while the next chunk is written,
compacted, and kept under build/bench/ keyed by the generator version and
size, so later runs reuse it.
"""
import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, du_bytes, free_port, make_pki, mem_kib
from benchlib import start_aggregator as start_aggregator_at

# Change this whenever the generated store changes: cached stores are keyed by it.
GENERATOR = 'qstore-1'

# ---------------------------------------------------------------- the store
#
# Tuple i of N is one of:
#   big:   BIG names c<k>.bigcdn.net, one A each in 198.18.0.0/15
#          (the left-hand wildcard *.bigcdn.net)
#   block: BLOCK names vm<k>.<domain>, one A each, all in 10.20.0.0/16 (the CIDR)
#   general: the rest, two tuples per name; name n is host n // D of domain
#          n % D (host 0 is the apex), D domains over 14 TLDs; by n % 20 the
#          pair is A+A (9), A+AAAA (2), AAAA+AAAA (2), CNAME+CNAME (2),
#          TXT+TXT (2), MX+MX (1), NS+NS (2): about 50% A, 15% AAAA, 10% each
#          CNAME, TXT and NS, 5% MX. Addresses are hashed over all of IPv4
#          except 10.20/16; NS targets are shared by many domains.
# Counts are skewed (1..~10^4), time_first within 2023, time_last after it.

SYL = ['ba', 'ko', 'mi', 'ne', 'ra', 'su', 'ti', 'vo', 'da', 'le', 'pu', 'gi', 'ha', 'ze', 'fo',
       'wy', 'ca', 're', 'lo', 'nu', 'sa', 'te', 'mo', 'ki', 'pa', 'do', 'ju', 'xe', 'fi', 'go',
       'ly', 'qu']
TLDS = ['com', 'com', 'com', 'net', 'org', 'de', 'io', 'co.uk', 'fr', 'nl', 'ru', 'com.br',
        'jp', 'info']
HOSTS = ['', 'www', 'mail', 'api', 'cdn', 'shop', 'blog', 'm', 'dev', 'static', 'img', 'vpn',
         'smtp', 'app', 'portal', 'news']
KINDS = ['A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A4', 'A4', '44', '44', 'CN', 'CN',
         'TX', 'TX', 'MX', 'NS', 'NS']
WILD_ZONE = 'bigcdn.net'
CIDR = '10.20.0.0/16'


class Shape:
    def __init__(self, tuples):
        self.n = tuples
        self.big = max(1000, tuples * 12 // 1000)       # 120,000 of 10 M
        self.block = max(500, tuples * 6 // 1000)       # 60,000 of 10 M
        self.names = (tuples - self.big - self.block) // 2
        self.n = self.big + self.block + 2 * self.names
        self.domains = max(101, self.names // 12) | 1   # odd: kinds vary within a domain
        if self.domains % 5 == 0:
            self.domains += 2

    def domain(self, d):
        p = ((d * 769) & 0xfffff) ^ 0x5a5a5
        return (SYL[p & 31] + SYL[(p >> 5) & 31] + SYL[(p >> 10) & 31] + SYL[(p >> 15) & 31]
                + str(d >> 20 or '') + '.' + TLDS[d % len(TLDS)])

    def name(self, n):
        d, h = n % self.domains, n // self.domains
        host = HOSTS[h % 16] + (str(h // 16) if h >= 16 else '')
        return (host + '.' if host else '') + self.domain(d)

    def tuple_name(self, i):
        """The owner name of tuple i (for lookups of names that exist)."""
        if i < self.big:
            return 'c%d.%s' % (i, WILD_ZONE)
        i -= self.big
        if i < self.block:
            return 'vm%d.%s' % (i, self.domain(i % 5000))
        return self.name(i // 2)

    def miss_name(self, k):
        return 'nx%d.%s' % (k, self.domain(k % self.domains))


def _hash32(x):
    return (x * 2654435761 + 0x9e3779b9) & 0xffffffff


def _v4(a):
    if a >> 16 == 0x0a14:
        a ^= 0x10000
    return '%d.%d.%d.%d' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def _line(name, rtype, rdata, h):
    c = 1 + (h % 100) * (h % 97) // (1 + (h >> 8) % 13)
    f = 1672531200 + h % 31536000
    return ('{"rrname":"%s","rrtype":"%s","rdata":"%s","count":%d,"time_first":%d,'
            '"time_last":%d}\n' % (name, rtype, rdata, c, f, f + (h >> 4) % 40000000))


def _pair(shape, n):
    nm, h = shape.name(n), _hash32(n)
    k = KINDS[n % 20]
    if k == 'A':
        return (_line(nm, 'A', _v4(h), h) + _line(nm, 'A', _v4(h ^ 1), h >> 3))
    if k == 'A4':
        return (_line(nm, 'A', _v4(h), h) +
                _line(nm, 'AAAA', '2a0%d:%x:%x::%x' % (h % 8, h >> 16, h & 0xffff, n & 0xfff),
                      h >> 3))
    if k == '44':
        return ''.join(_line(nm, 'AAAA', '2600:%x:%x:%x::%x'
                             % (h >> 20, (h >> 4) & 0xffff, n % 65536, j), h >> j)
                       for j in (1, 2))
    if k == 'CN':
        return (_line(nm, 'CNAME', 'e%d.cdn%d.%s' % (h % 997, h % 7, shape.domain(h % 61)), h) +
                _line(nm, 'CNAME', '%s.edgesuite.net' % nm, h >> 3))
    if k == 'TX':
        return (_line(nm, 'TXT', '\\"v=spf1 include:_spf.%s ~all\\"' % shape.domain(h % 211), h) +
                _line(nm, 'TXT', '\\"site-verification=%08x%08x\\"' % (h, _hash32(h)), h >> 3))
    if k == 'MX':
        return ''.join(_line(nm, 'MX', '%d mx%d.%s'
                             % (10 * j, j, shape.domain(n % shape.domains)), h >> j)
                       for j in (1, 2))
    p = shape.domain(h % 3001)
    return (_line(nm, 'NS', 'ns1.%s' % p, h) + _line(nm, 'NS', 'ns2.%s' % p, h >> 3))


def write_chunk(shape, path, lo, hi):
    """Tuples [lo, hi) as COF lines (lo, hi even past the big and block parts)."""
    out = []
    with open(path, 'w') as f:
        for i in range(lo, hi):
            if i < shape.big:
                out.append(_line('c%d.%s' % (i, WILD_ZONE), 'A',
                                 '198.%d.%d.%d' % (18 + (i >> 16 & 1), i >> 8 & 255, i & 255),
                                 _hash32(i)))
            elif i < shape.big + shape.block:
                k = i - shape.big
                a = (k * 37) & 0xffff
                out.append(_line(shape.tuple_name(i), 'A',
                                 '10.20.%d.%d' % (a >> 8, a & 255), _hash32(i)))
            elif (i - shape.big - shape.block) % 2 == 0:
                out.append(_pair(shape, (i - shape.big - shape.block) // 2))
            if len(out) >= 4096:
                f.write(''.join(out))
                out.clear()
        f.write(''.join(out))


def build_store(build, shape, db, chunk=1000000):
    """Imports the generated tuples into db, writing chunk k+1 while k imports."""
    agg = os.path.join(build, 'almanac-aggregator')
    tmp = db + '.cof'
    os.makedirs(tmp, exist_ok=True)
    bounds = []
    lo = 0
    while lo < shape.n:
        hi = min(shape.n, lo + chunk)
        if hi > shape.big + shape.block and (hi - shape.big - shape.block) % 2:
            hi += 1
        bounds.append((lo, hi))
        lo = hi
    t0 = time.time()
    running = None

    def finish(job):
        proc, path, log = job
        if proc.wait() != 0:
            with open(log) as f:
                sys.exit('bench: importing %s failed:\n%s' % (path, f.read()))
        os.unlink(path)

    for k, (lo, hi) in enumerate(bounds):
        path = os.path.join(tmp, 'chunk%03d.cof' % k)
        write_chunk(shape, path, lo, hi)
        if running:
            finish(running)
        with open(path + '.log', 'w') as log:
            running = (subprocess.Popen([agg, '--db', db, '--import', path,
                                         '--import-site', 'fra', '--cache-size', '256M',
                                         '--log-level', 'warning'],
                                        stdout=subprocess.DEVNULL, stderr=log),
                       path, path + '.log')
        print('  chunk %d/%d written (%.0f s)' % (k + 1, len(bounds), time.time() - t0),
              file=sys.stderr)
    finish(running)
    shutil.rmtree(tmp)
    t_import = time.time() - t0
    subprocess.run([agg, '--db', db, '--compact', '--log-level', 'warning'], check=True)
    return t_import, time.time() - t0


def cached_store(build, shape):
    """The store's directory, built unless a complete one is cached."""
    base = os.path.join(ROOT, 'build', 'bench', 'query-%s-%d' % (GENERATOR, shape.n))
    db, done = os.path.join(base, 'db'), os.path.join(base, 'complete')
    if os.path.exists(done):
        return db, None
    shutil.rmtree(base, ignore_errors=True)
    parent = os.path.dirname(base)
    for old in os.listdir(parent) if os.path.isdir(parent) else []:
        if old.startswith('query-qstore-') and not old.startswith('query-%s-' % GENERATOR):
            shutil.rmtree(os.path.join(parent, old), ignore_errors=True)  # outdated generator
    os.makedirs(base)
    print('bench_query: building the %d-tuple store (%s) in %s' % (shape.n, GENERATOR, base),
          file=sys.stderr)
    t_import, t_total = build_store(build, shape, db)
    with open(done, 'w') as f:
        f.write('%s %d import_s=%.1f total_s=%.1f\n' % (GENERATOR, shape.n, t_import, t_total))
    return db, (t_import, t_total)


# ---------------------------------------------------------------- the run

def start_aggregator(build, work, db, args):
    pki = os.path.join(work, 'pki')
    make_pki(pki)
    hport = free_port()
    agg, log, startup = start_aggregator_at(
        build, pki, db, 'tls+tcp://localhost:%d' % free_port(),
        ['--http', '127.0.0.1:%d' % hport, '--http-workers', str(args.http_workers),
         '--cache-size', args.cache_size, '--max-limit', '1000000', '--log-level', 'warning'])
    return agg, hport, startup, log


def write_paths(path, paths):
    with open(path, 'w') as f:
        f.write('\n'.join(paths) + '\n')
    return path


def make_workloads(work, shape, args):
    rng = random.Random(4)
    hits = [shape.tuple_name(rng.randrange(shape.n)) for _ in range(args.sample)]
    misses = [shape.miss_name(rng.randrange(1 << 30)) for _ in range(args.sample)]
    big = '?limit=%d' % args.big_limit
    w = lambda name, paths: write_paths(os.path.join(work, name + '.paths'), paths)
    # (key, label, paths file, connections, SAF framing lines per answer)
    return [
        ('floor', 'ping /dnsdb/v2/ping', w('floor', ['/dnsdb/v2/ping']), args.conns, 0),
        ('hit', 'rrset hit, native', w('hit', ['/api/v1/rrset/' + n for n in hits]),
         args.conns, 0),
        ('hit_dnsdb', 'rrset hit, DNSDB',
         w('hit_dnsdb', ['/dnsdb/v2/lookup/rrset/name/%s.' % n for n in hits]), args.conns, 2),
        ('miss', 'rrset miss, native', w('miss', ['/api/v1/rrset/' + n for n in misses]),
         args.conns, 0),
        ('wild1', '*.%s limit %d' % (WILD_ZONE, args.big_limit),
         w('wild', ['/api/v1/rrset/%%2A.%s%s' % (WILD_ZONE, big)]), 1, 0),
        ('wild4', '', os.path.join(work, 'wild.paths'), 4, 0),
        ('cidr1', '%s limit %d' % (CIDR, args.big_limit),
         w('cidr', ['/api/v1/rdata/ip/%s%s' % (CIDR, big)]), 1, 0),
        ('cidr4', '', os.path.join(work, 'cidr.paths'), 4, 0),
    ]


def cpu_ticks(pid):
    """User and system CPU of a process, in clock ticks."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]), int(fields[12])


def run_client(build, hport, paths, conns, seconds, agg_pid=None):
    """One query_bench run; with agg_pid, also CPU per request of both sides."""
    before = cpu_ticks(agg_pid) if agg_pid else (0, 0)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([os.path.join(build, 'bench', 'query_bench'), '127.0.0.1:%d' % hport,
                          paths, str(conns), str(seconds)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('bench: query_bench failed: ' + out.stderr)
    r = {k: float(v) for k, v in (kv.split('=') for kv in out.stdout.split())}
    if agg_pid:
        after, ru1 = cpu_ticks(agg_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        tick = os.sysconf('SC_CLK_TCK')
        r['srv_us'] = (sum(after) - sum(before)) / tick * 1e6 / r['requests']
        r['cli_us'] = ((ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1e6
                       / r['requests'])
    return r


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def summarize(runs, framing):
    """Medians over rounds of each figure; results exclude SAF framing lines."""
    m = {k: median([r[k] for r in runs]) for k in runs[0]}
    res = [(r['lines'] - framing * r['requests']) / r['seconds'] for r in runs]
    m['results_per_s'] = median(res)
    m['mb_per_s'] = median([r['bytes'] / r['seconds'] / 1e6 for r in runs])
    m['rps_all'] = [r['rps'] for r in runs]
    m['results_per_answer'] = runs[0]['lines'] / runs[0]['requests'] - framing
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default='build')
    ap.add_argument('--tuples', type=int, default=10000000)
    ap.add_argument('--conns', type=int, default=32)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=3.0, help='per workload and round')
    # 8, not the aggregator's default 4: on this 2-core machine 8 (or 16) answered
    # store lookups 20-30% faster than 4 in interleaved runs; the floor did not change.
    ap.add_argument('--http-workers', type=int, default=8)
    ap.add_argument('--cache-size', default='256M')
    ap.add_argument('--sample', type=int, default=100000, help='names per lookup workload')
    ap.add_argument('--big-limit', type=int, default=100000)
    ap.add_argument('--build-only', action='store_true')
    ap.add_argument('--db', help='use this store instead of the generated one')
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    t_start = time.time()
    shape = Shape(args.tuples)
    built = None
    if args.db:
        db = args.db
    else:
        db, built = cached_store(build, shape)
    if args.build_only:
        return
    work = tempfile.mkdtemp(prefix='almanac-qbench-', dir=os.path.join(ROOT, 'build'))
    agg = None
    try:
        loads = make_workloads(work, shape, args)
        agg, hport, startup, log = start_aggregator(build, work, db, args)
        # Warm-up: the OS page cache and the block cache see the sample once.
        run_client(build, hport, loads[1][2], args.conns, 2)
        results = {key: [] for key, *_ in loads}
        for _ in range(args.rounds):
            for key, _, paths, conns, _ in loads:
                results[key].append(run_client(build, hport, paths, conns, args.seconds,
                                               agg.pid))
        mem = mem_kib(agg.pid)
        agg.terminate()
        agg.wait(timeout=60)
        agg = None
        end = next((i for i, l in enumerate(log) if 'stats (final)' in l), len(log))
        noise = [l for l in log[:end] if l != 'ready\n']
        if noise:
            sys.stderr.write('bench_query: the aggregator said:\n' + ''.join(noise[:20]))
        report(args, shape, db, built, startup, loads, results, mem, time.time() - t_start)
    finally:
        if agg:
            agg.kill()
            agg.wait()
        shutil.rmtree(work, ignore_errors=True)


def report(args, shape, db, built, startup, loads, results, mem, elapsed):
    s = {key: summarize(results[key], framing) for key, _, _, _, framing in loads}
    floor = s['floor']['rps']
    print('query: %d tuples (%s), store %.0f MiB, %s' % (
        shape.n, GENERATOR, du_bytes(db) / 2 ** 20,
        'built in %.0f s (import %.0f s, compaction %.0f s)'
        % (built[1], built[0], built[1] - built[0]) if built else 'cached'))
    print('  aggregator: --http-workers %d --cache-size %s, ready %.1f s after start; '
          'peak RSS %.0f MiB (at the end: %.0f MiB anonymous, %.0f MiB mapped store files)'
          % (args.http_workers, args.cache_size, startup, mem['VmHWM'] / 1024,
             mem['RssAnon'] / 1024, mem['RssFile'] / 1024))
    print('  medians of %d interleaved rounds of %.0f s each; client and aggregator share '
          'this machine\'s %d cores; CPU columns: microseconds of CPU per request'
          % (args.rounds, args.seconds, os.cpu_count()))
    print('  %-26s %5s %8s %6s %7s %7s %7s %8s %7s %7s %6s' % (
        'workload', 'conns', 'req/s', 'floor', 'p50 ms', 'p99 ms', 'p99.9', 'max ms',
        'srv CPU', 'cli CPU', 'failed'))
    for key, label, _, conns, _ in loads:
        m = s[key]
        print('  %-26s %5d %8.0f %5.0f%% %7.2f %7.2f %7.2f %8.2f %7.0f %7.0f %6d' % (
            label or '  (same)', conns, m['rps'], 100 * m['rps'] / floor, m['p50_ms'],
            m['p99_ms'], m['p999_ms'], m['max_ms'], m['srv_us'], m['cli_us'],
            m['non200'] + m['errors']))
    print('  req/s per round: ' + '; '.join(
        '%s %s' % (key, '/'.join('%.0f' % x for x in s[key]['rps_all'])) for key, *_ in loads))
    print('  large results:')
    for key, label, _, conns, _ in loads[4:]:
        m = s[key]
        print('    %-8s %d conn%s %9.0f results/s %7.1f MB/s  (%.0f results per answer)'
              % ('wildcard' if key.startswith('wild') else 'cidr', conns,
                 's:' if conns > 1 else': ', m['results_per_s'], m['mb_per_s'],
                 m['results_per_answer']))
    hit = min(s['hit']['rps'], s['hit_dnsdb']['rps'])
    p99 = max(s['hit']['p99_ms'], s['hit_dnsdb']['p99_ms'])
    bad = sum(s[k]['non200'] + s[k]['errors'] for k in s)
    ok = hit >= 20000 and p99 < 5 and bad == 0
    print('  target: >= 20000 lookups/s with p99 < 5 ms (exact rrset hits, both APIs, %d '
          'connections): %s (%.0f lookups/s, p99 %.2f ms%s)'
          % (args.conns, 'met' if ok else 'NOT met', hit, p99,
             ', %d failed requests' % bad if bad else ''))
    print('  (bench_query ran %.0f s)' % elapsed)


if __name__ == '__main__':
    main()
