"""Real processes for the integration tests: a throw-away PKI made with
deploy/almanac-pki, aggregators on loopback ports chosen by the OS, and
sensors shipping to them. Waits are on readiness, never fixed sleeps."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

from conftest import ROOT, binary, merge_lines, parse_counters

PKI = os.path.join(ROOT, 'deploy', 'almanac-pki')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(cond, what, timeout=30, detail=None):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s%s'
                                 % (what, '\n' + detail() if detail else ''))
        time.sleep(0.02)


def stacks(pid):
    """Every thread's stack of a live process (gdb), for a failure message:
    a hang found once in CI must say where it hung."""
    try:
        p = subprocess.run(['gdb', '-p', str(pid), '-batch', '-nx', '-ex',
                            'thread apply all bt 30'], capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'no stacks: %s' % e
    return '\n'.join(l for l in p.stdout.splitlines()
                     if l.startswith(('Thread', '#')))


def wait_exit(proc, timeout, log=()):
    """proc's exit status; if it has not exited within timeout, fails with
    its log and its threads' stacks (the process is left for the caller)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError('pid %d did not exit within %d s\n%s\n--- stacks:\n%s'
                             % (proc.pid, timeout, ''.join(log), stacks(proc.pid)))


class Pki:
    """A CA with certificates issued on demand (cached per name)."""

    def __init__(self, d):
        self.dir = str(d)
        subprocess.run([PKI, 'init', self.dir], check=True, capture_output=True)
        self.agg = self.issue('aggregator', 'localhost')

    def issue(self, kind, name, *extra):
        crt = os.path.join(self.dir, name + '.crt')
        if not os.path.exists(crt):
            subprocess.run([PKI, '-d', self.dir, kind, name] + list(extra), check=True,
                           capture_output=True)
        return crt, os.path.join(self.dir, name + '.key')

    def sensor(self, name, site, *extra):
        return self.issue('sensor', name, '--site', site, *extra)

    def revoke(self, name):
        subprocess.run([PKI, '-d', self.dir, 'revoke', name], check=True, capture_output=True)

    @property
    def ca(self):
        return os.path.join(self.dir, 'ca.crt')

    @property
    def crl(self):
        return os.path.join(self.dir, 'crl.pem')


# Frames of what NNG 1.5.2 loses when a stopped listener is closed, and
# when the check that found it stopped closes its own socket while its
# dialer is connecting again: allocators, NNG and mbedTLS (Debian's NNG has
# no symbols; the unwinder, lost in mbedTLS, sometimes ends in "[stack]"),
# and the paths that made the listeners, the check's dialer and the TLS
# configuration those connections hold.
REOPEN_LEAK_FRAME = re.compile(
    r'asan_malloc_linux|libnng\.so|libmbed(tls|x509|crypto)\.so|\(\[stack\]\+|'
    r'in start_thread |in (pd_tls_config|tls_load|ingest_socket|ingest_start|'
    r'listener_(open|start|reopen|watch|probe)|agg_open|agg_serve|main) |in __libc_start')


def only_reopen_leaks(log):
    """Whether an aggregator's LeakSanitizer report is only what NNG 1.5.2
    loses when the aggregator closes a listener NNG had stopped
    (aggregator/listener.h): the TLS connections that listener had
    negotiated and never handed on, and those the checks' dialers were
    making; cycles of NNG's and mbedTLS's objects (so "indirect" leaks
    only) with no frame of ours but those that made the listeners, the
    checks and their TLS configuration; and only after a re-opening, as
    the log says. Anything else in the report still fails the test."""
    text = ''.join(log)
    head = 'LeakSanitizer: detected memory leaks'
    if 'opened it anew' not in text or head not in text:
        return False
    records = re.split(r'\n(?=(?:Direct|Indirect) leak of)', text[text.index(head):])[1:]
    for r in records:
        frames = [l for l in r.splitlines() if re.match(r'\s+#\d+ ', l)]
        if not r.startswith('Indirect') or not all(REOPEN_LEAK_FRAME.search(f) for f in frames):
            return False
    return bool(records)


class Aggregator:
    """almanac-aggregator on a free port, started and waited for."""

    started = []  # every one this test session started, for failure reports

    def __init__(self, pki, db, *extra, port=None):
        self.pki, self.db, self.extra = pki, str(db), list(extra)
        self.port = port or free_port()
        self.url = 'tls+tcp://localhost:%d' % self.port
        self.proc = None
        self.log = []

    def start(self):
        crt, key = self.pki.agg
        cmd = [binary('almanac-aggregator'), '--listen', self.url, '--db', self.db,
               '--ca', self.pki.ca, '--cert', crt, '--key', key] + self.extra
        self.log = []
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        Aggregator.started.append(self)
        log = self.log
        proc = self.proc
        threading.Thread(target=lambda: [log.append(l) for l in proc.stderr],
                         daemon=True).start()
        wait_for(lambda: 'ready\n' in self.log or self.proc.poll() is not None,
                 'the aggregator to be ready')
        assert self.proc.poll() is None, ''.join(self.log)
        return self

    def counters(self):
        """Counters from a SIGUSR1 report."""
        n = sum(1 for l in self.log if l.startswith('almanac-aggregator: stats'))
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: sum(1 for l in self.log
                             if l.startswith('almanac-aggregator: stats')) > n
                 and self.log[-1].startswith('  refused_auth_internal'),
                 'a counter report')
        last = max(i for i, l in enumerate(self.log) if l.startswith('almanac-aggregator: stats'))
        return parse_counters(''.join(self.log[last:]))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError('the aggregator did not stop within 60 s of SIGTERM:\n'
                                     + ''.join(self.log[-20:]))
        rc = self.proc.returncode if self.proc else 0
        if rc == -signal.SIGABRT and only_reopen_leaks(self.log):
            rc = 0
        if rc is not None and rc < 0 and rc != -signal.SIGKILL:
            raise AssertionError('the aggregator died of signal %d:\n%s'
                                 % (-rc, ''.join(self.log)))
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def final_counters(self):
        """Counters of the report the aggregator writes as it stops."""
        def start():
            heads = [i for i, l in enumerate(self.log) if 'stats (final)' in l]
            return heads[-1] if heads else None
        wait_for(lambda: start() is not None and
                 any(l.startswith('  refused_auth_internal') for l in self.log[start():]),
                 'the final counter report', detail=lambda: ''.join(self.log[-20:]))
        return parse_counters(''.join(self.log[start():]))

    def export(self):
        p = subprocess.run([binary('almanac-aggregator'), '--db', self.db, '--export', '-'],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def exported(self):
        return merge_lines(self.export().splitlines())


def batchsend(agg, crt, key, *args, timeout=60):
    """tests/tools/batchsend's answer ("status=N msg=TEXT" or "noreply") to
    one message from the holder of crt and key. A connection that came in
    while NNG 1.5.2's listener had stopped is closed unanswered when the
    aggregator opens it anew (aggregator/listener.h); only then, and seen
    in the aggregator's log, is the message sent again."""
    def restarts():
        return sum(1 for l in agg.log if 'opened it anew' in l)
    for _ in range(3):
        before = restarts()
        p = subprocess.run([binary('tools/batchsend'), agg.url, agg.pki.ca, crt, key] +
                           [str(a) for a in args], capture_output=True, text=True,
                           timeout=timeout)
        assert p.returncode == 0, p.stderr
        answer = p.stdout.strip()
        if answer != 'noreply':
            break
        try:  # two checks: 2 s and 5 s once the connection is up
            wait_for(lambda: restarts() > before, 'the listener to be opened anew', timeout=15)
        except AssertionError:
            break
    return answer


def sensor_cmd(pki, agg_url, capture, state, name='s1', site='fra', *extra):
    crt, key = pki.sensor(name, site)
    return [binary('almanac-sensor'), '-r', capture, '--aggregator', agg_url, '--ca', pki.ca,
            '--cert', crt, '--key', key, '--state-dir', str(state)] + list(extra)


def others(pid):
    """This test's other live processes (aggregators, sensors), not pid."""
    try:
        kids = open('/proc/self/task/%d/children' % os.getpid()).read().split()
    except OSError:
        kids = []
    return [int(k) for k in kids if int(k) != pid]


def run(cmd, timeout=300):
    """Runs cmd to its end. One that is still running after timeout fails
    the test with its log and the stacks of its threads and of every other
    process the test started (a hang found once in CI must say where)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        report = ['--- stacks of %s (pid %d):\n%s' % (os.path.basename(cmd[0]), proc.pid,
                                                     stacks(proc.pid))]
        for pid in others(proc.pid):
            report.append('--- stacks of pid %d:\n%s' % (pid, stacks(pid)))
        for a in Aggregator.started:
            if a.proc.poll() is None:
                report.append('--- log of the aggregator (pid %d):\n%s'
                              % (a.proc.pid, ''.join(a.log[-40:])))
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError('%s did not end within %d s; its log:\n%s\n%s'
                             % (cmd[0], timeout, err, '\n'.join(report)))
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    p.counters = parse_counters(err)
    return p
