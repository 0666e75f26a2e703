"""Shared helpers for Almanac's integration tests: real binaries, real files.

ALMANAC_BIN selects the binaries (make test points it at the ASan/UBSan
build); the default is build/.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get('ALMANAC_BIN', os.path.join(ROOT, 'build'))
TOOLS = os.path.join(ROOT, 'tests', 'tools')
DATA = os.path.join(ROOT, 'tests', 'data')
CORPUS = os.path.join(os.path.dirname(ROOT), 'shared', 'corpus', 'tcpdump-tests')
PYTHON = '/usr/bin/python3'

# ASan: fail on leaks too; UBSan findings abort (the build uses
# -fno-sanitize-recover), so any finding fails the run.
os.environ.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=1')
# Leaks inside NNG that our code cannot free, each explained in the file.
os.environ.setdefault('LSAN_OPTIONS', 'suppressions=%s' % os.path.join(
    ROOT, 'tests', 'integration', 'lsan.supp'))
os.environ.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')


def binary(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.fail('%s is not built (run make)' % path)
    return path


def parse_counters(stderr):
    """Counters from the sensor's summary lines ("  name value")."""
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 2 and line.startswith('  ') and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def tuple_key(o):
    return (o['rrname'], o['rrtype'], o.get('rdata'), o.get('rcode'))


def merge_lines(lines):
    """Merges COF lines by tuple with the observation rule; returns a sorted list."""
    merged = {}
    for line in lines:
        if not line.strip():
            continue
        o = json.loads(line)
        k = tuple_key(o)
        m = merged.get(k)
        if m is None:
            merged[k] = {'rrname': o['rrname'], 'rrtype': o['rrtype'], 'count': o['count'],
                         'time_first': o['time_first'], 'time_last': o['time_last']}
            if 'rdata' in o:
                merged[k]['rdata'] = o['rdata']
            if 'rcode' in o:
                merged[k]['rcode'] = o['rcode']
        else:
            m['count'] += o['count']
            m['time_first'] = min(m['time_first'], o['time_first'])
            m['time_last'] = max(m['time_last'], o['time_last'])
    return [merged[k] for k in sorted(merged, key=lambda k: tuple('' if v is None else v
                                                                  for v in k))]


def load_jsonl(path):
    with open(path) as f:
        return merge_lines(f)


class SensorRun:
    def __init__(self, proc, stdout, stderr):
        self.returncode = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.counters = parse_counters(stderr)
        self.observations = merge_lines(stdout.splitlines()) if proc.returncode == 0 else []


def run_sensor(args, timeout=120, check=True):
    cmd = [binary('almanac-sensor')] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    run = SensorRun(p, p.stdout, p.stderr)
    if check and p.returncode != 0:
        pytest.fail('%s exited %d:\n%s' % (' '.join(cmd), p.returncode, p.stderr[-3000:]))
    return run


def diff_observations(got, want, limit=10):
    """A readable difference of two merged observation lists ('' if equal)."""
    g = {tuple_key(o): o for o in got}
    w = {tuple_key(o): o for o in want}
    lines = []
    for k in sorted(set(w) - set(g), key=str)[:limit]:
        lines.append('missing:    %s' % json.dumps(w[k], sort_keys=True))
    for k in sorted(set(g) - set(w), key=str)[:limit]:
        lines.append('unexpected: %s' % json.dumps(g[k], sort_keys=True))
    for k in sorted(set(g) & set(w), key=str):
        if g[k] != w[k] and len(lines) < 3 * limit:
            lines.append('differs:    got %s\n            want %s'
                         % (json.dumps(g[k], sort_keys=True), json.dumps(w[k], sort_keys=True)))
    return '\n'.join(lines)


def gencap(*args):
    subprocess.run([PYTHON, os.path.join(TOOLS, 'gencap.py')] + list(args), check=True,
                   capture_output=True)
