"""What the benchmarks share: a throw-away PKI, a real aggregator process,
free ports, and what /proc and the disk say about memory and size."""
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKI = os.path.join(ROOT, 'deploy', 'almanac-pki')


def make_pki(pki, sensors=()):
    """A CA, an aggregator certificate for localhost, and one sensor
    certificate per (name, site) in sensors."""
    subprocess.run([PKI, 'init', pki], check=True, capture_output=True)
    subprocess.run([PKI, '-d', pki, 'aggregator', 'localhost'], check=True, capture_output=True)
    for name, site in sensors:
        subprocess.run([PKI, '-d', pki, 'sensor', name, '--site', site], check=True,
                       capture_output=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_aggregator(build, pki, db, listen, extra=()):
    """Starts almanac-aggregator on listen with pki's certificates and waits
    for it to say ready. Returns (process, its log lines, seconds to ready)."""
    cmd = [os.path.join(build, 'almanac-aggregator'), '--listen', listen, '--db', db,
           '--ca', os.path.join(pki, 'ca.crt'), '--cert', os.path.join(pki, 'localhost.crt'),
           '--key', os.path.join(pki, 'localhost.key')] + list(extra)
    t0 = time.time()
    agg = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in agg.stderr], daemon=True).start()
    while 'ready\n' not in log:
        if agg.poll() is not None:
            sys.exit('bench: the aggregator did not start:\n' + ''.join(log))
        time.sleep(0.05)
    return agg, log, time.time() - t0


def mem_kib(pid):
    """VmHWM (peak RSS), RssAnon and RssFile (the store's mapped tables), KiB."""
    m = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmHWM', 'RssAnon', 'RssFile'):
                m[k] = int(v.split()[0])
    return m


def cpu_s(pid):
    """User plus system CPU seconds a running process has used so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def du_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
