"""Per-site health with real processes (issue 5, DESIGN.md "Health").

A real aggregator (with --http) and real sensors. Each sensor reads a
named pipe the test keeps open: it captures what the test writes, then
idles, heartbeating like a live sensor on a quiet link. Stopping a sensor
must turn its site stale, then down, within the configured times in all
four views (/api/v1/sites, /metrics, the status page, `almanac sites`'s
exit code); restarting it brings the site back to ok.

Degraded states come from heartbeats replayed by tests/tools/batchsend
with chosen counters (packet drops, malformed messages, an old spool, a
skewed clock, a failing capture): the same signed messages a sensor sends,
with the numbers a failing site would report.

The status page is checked in a real headless Chromium (Debian's package),
which also saves screenshots under build/; /metrics goes through
`promtool check metrics` (Debian's prometheus package).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import ROOT, binary, gencap
from procs import Aggregator, Pki, batchsend, free_port, run, sensor_cmd, wait_for

STALE, DOWN = 3, 6  # --stale-after, --down-after (seconds)
SLACK = 2.5         # health ticks every second; a heartbeat may be 1 s old


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp('pki'))


class Web:
    """The aggregator's HTTP side and the CLI, read the same way as people
    and monitoring read them."""

    def __init__(self, agg, port):
        self.agg, self.base = agg, 'http://127.0.0.1:%d' % port

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return r.status, r.headers, r.read().decode()

    def sites(self):
        status, _, body = self.get('/api/v1/sites')
        assert status == 200
        return {s['site']: s for s in json.loads(body)['sites']}

    def metrics(self):
        return self.get('/metrics')[2]

    def metric_status(self):
        names = ('ok', 'degraded', 'stale', 'down')
        return {m.group(1): names[int(m.group(2))] for m in
                re.finditer(r'^almanac_site_status\{site="([^"]+)"\} (\d)$', self.metrics(),
                            re.M)}

    def page_status(self):
        page = self.get('/')[2]
        return dict(re.findall(r'<tr class="site" data-site="([^"]+)" data-status="(\w+)"',
                               page))

    def cli(self, *args):
        fmt = [] if '--json' in args else ['--table']
        return subprocess.run([binary('almanac'), '--server', self.base, 'sites'] + fmt +
                              list(args), capture_output=True, text=True, timeout=30)

    def views(self):
        """Every site's status in the four views; asserts they agree."""
        api = {k: v['status'] for k, v in self.sites().items()}
        met, page = self.metric_status(), self.page_status()
        assert api == met == page, (api, met, page)
        return api

    def wait_status(self, site, status, timeout):
        t0 = time.monotonic()
        wait_for(lambda: self.sites().get(site, {}).get('status') == status,
                 'site %s to turn %s' % (site, status), timeout=timeout,
                 detail=lambda: json.dumps(self.sites().get(site), indent=1))
        return time.monotonic() - t0


def start_aggregator(pki, tmp_path, *extra, stale=STALE, down=DOWN):
    port = free_port()
    agg = Aggregator(pki, tmp_path / 'db', '--http', '127.0.0.1:%d' % port,
                     '--stale-after', str(stale), '--down-after', str(down), *extra).start()
    return agg, Web(agg, port)


class PipeSensor:
    """almanac-sensor -r on a named pipe kept open by the test: it
    decodes what is written and then idles, sending heartbeats."""

    def __init__(self, pki, agg, tmp_path, name, site, capture):
        self.cmd_args = (pki, agg.url, name, site)
        self.dir = tmp_path / name
        self.dir.mkdir(exist_ok=True)
        self.capture = capture
        self.proc = None
        self.fd = None

    def start(self):
        pki, url, name, site = self.cmd_args
        pipe = str(self.dir / 'pipe')
        if os.path.exists(pipe):
            os.unlink(pipe)
        os.mkfifo(pipe)
        self.fd = os.open(pipe, os.O_RDWR)  # never blocks, never EOF while open
        self.proc = subprocess.Popen(
            sensor_cmd(pki, url, pipe, self.dir / 'state', name, site,
                       '--heartbeat-interval', '1'),
            stdout=subprocess.DEVNULL, stderr=open(self.dir / 'stderr', 'a'))
        with open(self.capture, 'rb') as f:
            data = f.read()
        threading.Thread(target=os.write, args=(self.fd, data), daemon=True).start()
        return self

    def stop(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)  # while the pipe is open: no EOF
                self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('the sensor did not stop within 30 s of SIGTERM')
        finally:
            if self.fd is not None:
                os.close(self.fd)
            self.fd = None
        return self.proc.returncode


@pytest.fixture
def capture(tmp_path):
    cap = tmp_path / 'c.pcap'
    gencap('realistic', '--out', str(cap), '--truth', str(tmp_path / 'c.truth.jsonl'),
           '--packets', '3000', '--seed', '11')
    return cap


def test_stopped_site_turns_stale_then_down_and_recovers(pki, tmp_path, capture):
    agg, web = start_aggregator(pki, tmp_path)
    sensors = {site: PipeSensor(pki, agg, tmp_path, 'hs-' + site, site, capture).start()
               for site in ('fra', 'ams')}
    try:
        for site in sensors:
            web.wait_status(site, 'ok', timeout=30)
        wait_for(lambda: all(s['sensors'][0]['counters']['packets_seen'] == 3000
                             for s in web.sites().values()), 'the captures to be counted')
        assert web.views() == {'fra': 'ok', 'ams': 'ok'}
        p = web.cli()
        assert p.returncode == 0, p.stdout + p.stderr
        assert re.search(r'^fra\s+ok\b', p.stdout, re.M), p.stdout
        fra = web.sites()['fra']
        assert fra['sensors'][0]['capture'].startswith('file ')
        assert fra['sensors'][0]['version']

        stopped = time.monotonic()
        assert sensors['ams'].stop() == 0
        web.wait_status('ams', 'stale', timeout=STALE + SLACK + 1)
        took = time.monotonic() - stopped
        assert STALE - 1.5 <= took <= STALE + SLACK, took
        assert web.views() == {'fra': 'ok', 'ams': 'stale'}
        ams = web.sites()['ams']
        assert ams['reason'].startswith('no contact for'), ams
        p = web.cli()
        assert p.returncode == 2, p.stdout + p.stderr
        assert re.search(r'^ams\s+stale\b.*no contact', p.stdout, re.M), p.stdout

        web.wait_status('ams', 'down', timeout=DOWN - STALE + SLACK + 1)
        took = time.monotonic() - stopped
        assert DOWN - 1.5 <= took <= DOWN + SLACK, took
        assert web.views() == {'fra': 'ok', 'ams': 'down'}
        assert web.cli().returncode == 2
        assert web.cli('--site', 'fra').returncode == 0

        restarted = time.monotonic()
        sensors['ams'].start()
        web.wait_status('ams', 'ok', timeout=10)
        assert time.monotonic() - restarted < 10
        assert web.views() == {'fra': 'ok', 'ams': 'ok'}
        assert web.cli().returncode == 0
    finally:
        rcs = []
        for s in sensors.values():
            try:
                rcs.append(s.stop())
            except AssertionError as e:
                rcs.append(str(e))
        assert agg.stop() == 0
        assert rcs == [0, 0], rcs
    log = ''.join(agg.log)
    # First sight, then each change, logged once each, in order.
    changes = re.findall(r'health: site ams is (\w+)', log)
    # A sensor that takes seconds to stop shows here as a late "stale": its
    # own log says why.
    assert changes == ['ok', 'stale', 'down', 'ok'], log + ''.join(
        '\n--- sensor %s:\n%s' % (site, ''.join(
            l for l in open(s.dir / 'stderr') if not re.match(r'\s+\w+\s+\d+$', l)))
        for site, s in sensors.items())


def heartbeat(pki, agg, name, site, skew=0, **counters):
    crt, key = pki.sensor(name, site)
    args = ['%s=%s' % kv for kv in counters.items()]
    answer = batchsend(agg, crt, key, 'heartbeat', skew, *args, timeout=30)
    assert answer.startswith('status=0'), answer


# name, site, counters at second t (t = 0, 1, 2, ...), the reason expected
FAILING = [
    ('dr1', 'drops', lambda t: dict(packets_seen=1000 * t, pcap_drop=90 * t,
                                    pcap_ifdrop=10 * t, dns_messages=900 * t),
     r'dropping 9\.1% of packets \(threshold 1\.0%\)'),
    ('mf1', 'parse', lambda t: dict(packets_seen=1000 * t, dns_messages=1000 * t,
                                    malformed=200 * t, malformed_dns_label=150 * t,
                                    malformed_udp=50 * t),
     r'20\.0% of DNS messages malformed \(threshold 5\.0%\), mostly dns_label'),
    ('sp1', 'spool', lambda t: dict(spool_batches=7, spool_bytes=7 << 20,
                                    spool_oldest_age_s=1000 + t),
     r'spool holds 7 batches, the oldest 16m4\ds old \(threshold 300s\)'),
    ('cp1', 'capture', lambda t: dict(capture='eth9', capture_state='error'),
     r'capture failing on eth9'),
    ('ok1', 'calm', lambda t: dict(packets_seen=int(1000 * t), dns_messages=int(900 * t)),
     r'reporting'),
]


def test_degraded_sites_name_their_reason(pki, tmp_path):
    # Long enough for the browser's checks after the last heartbeat.
    agg, web = start_aggregator(pki, tmp_path, stale=120, down=240)
    try:
        # Rates need two samples at least 5 s apart: heartbeat every second
        # for 6 s, as a sensor does when idle. The site whose rate is
        # checked counts the seconds that really passed: six heartbeats can
        # take longer than a second on a loaded machine (a CI run saw 2.4 s
        # a round, and 417 packets/s from counters that assumed one).
        start = time.monotonic()
        for t in range(7):
            t0 = time.monotonic()
            for name, site, counters, _ in FAILING:
                heartbeat(pki, agg, name, site,
                          **counters(time.monotonic() - start if site == 'calm' else t))
            heartbeat(pki, agg, 'sk1', 'clock', skew=600)
            time.sleep(max(0, 1 - (time.monotonic() - t0)))
        sites = web.sites()
        for name, site, _, reason in FAILING:
            want = 'ok' if site == 'calm' else 'degraded'
            assert sites[site]['status'] == want, sites[site]
            assert re.search(reason, sites[site]['reason']), sites[site]['reason']
            assert re.search(reason, sites[site]['sensors'][0]['reason'])
        # The skew is read in whole seconds when the heartbeat arrives, after
        # its trip from the sender: 600 s, or a second less across a tick.
        assert sites['clock']['status'] == 'degraded'
        assert re.search(r'clock (600|599)s ahead \(threshold 30s\)',
                         sites['clock']['reason']), sites['clock']['reason']
        assert sites['clock']['sensors'][0]['clock_skew_s'] in (599, 600)
        assert sites['drops']['sensors'][0]['drop_pct'] == pytest.approx(9.091, abs=0.01)
        # Rates divide by whole seconds of the aggregator's clock.
        assert sites['calm']['packets_per_s'] == pytest.approx(1000, rel=0.25)
        mal = sites['parse']['sensors'][0]['malformed_by_reason']
        assert mal == {'dns_label': 900, 'udp': 300}, mal
        views = web.views()
        assert views['drops'] == 'degraded' and views['calm'] == 'ok'

        p = web.cli()
        assert p.returncode == 1, p.stdout + p.stderr  # degraded, none stale or down
        assert re.search(r'^drops\s+degraded\b.*dropping 9\.1%', p.stdout, re.M), p.stdout
        p = web.cli('--json')
        assert p.returncode == 1
        assert {s['site'] for s in json.loads(p.stdout)['sites']} == set(views)
        assert web.cli('--site', 'calm').returncode == 0

        metrics = web.metrics()
        assert re.search(r'^almanac_sensor_malformed_by_reason_total\{site="parse",'
                         r'sensor="mf1",reason="dns_label"\} 900$', metrics, re.M)
        assert re.search(r'^almanac_sensor_clock_skew_seconds\{site="clock",sensor="sk1"\} '
                         r'(600|599)$', metrics, re.M)
        assert re.search(r'^almanac_aggregator_heartbeats_received_total 42$', metrics, re.M)
        promtool(metrics, tmp_path)
        status_page_in_chromium(web, tmp_path, sites)
    finally:
        assert agg.stop() == 0
    log = ''.join(agg.log)
    for site in ('drops', 'parse', 'spool', 'capture', 'clock'):
        assert len(re.findall(r'health: site %s is degraded' % site, log)) == 1, log


def test_unknown_sensor_from_the_store_shows_down(pki, tmp_path, capture):
    """A sensor the store knows that never calls again after a restart of
    the aggregator: listed from the start, down once down-after passes."""
    agg, web = start_aggregator(pki, tmp_path)
    try:
        p = run(sensor_cmd(pki, agg.url, str(capture), tmp_path / 'st', 'hs-old', 'gone'))
        assert p.returncode == 0 and p.counters['batches_acked'] > 0, p.stderr
    finally:
        assert agg.stop() == 0
    agg.start()
    try:
        site = web.sites()['gone']
        # Just restarted: the aggregator waits stale-after before it worries.
        assert site['status'] == 'ok', site
        assert site['reason'].startswith('waiting for first contact'), site
        assert not site['sensors'][0]['contacted']
        web.wait_status('gone', 'stale', timeout=STALE + SLACK)
        web.wait_status('gone', 'down', timeout=DOWN - STALE + SLACK)
        assert 'none since the aggregator started' in web.sites()['gone']['reason']
    finally:
        assert agg.stop() == 0


def test_registered_sensor_that_never_calls_shows_down(pki, tmp_path):
    """The registry says who should report: a new site whose sensor never
    starts must not go unnoticed, also when it is added by a reload."""
    reg = tmp_path / 'registry'
    reg.write_text('hs-never newsite\n')
    agg, web = start_aggregator(pki, tmp_path, '--registry', str(reg))
    try:
        site = web.sites()['newsite']
        assert site['status'] == 'ok' and site['reason'].startswith('waiting for first contact')
        assert web.cli().returncode == 0
        web.wait_status('newsite', 'stale', timeout=STALE + SLACK)
        assert web.cli().returncode == 2
        reg.write_text('hs-never newsite\nhs-late latesite\n')
        agg.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: 'latesite' in web.sites(), 'the reloaded registry in health')
        assert web.sites()['latesite']['status'] == 'ok'  # silent since the reload only
        web.wait_status('newsite', 'down', timeout=DOWN - STALE + SLACK)
        web.wait_status('latesite', 'down', timeout=DOWN + SLACK)
        # A sensor taken out of the registry is retired: no longer shown
        # (it could not send anyway), in every view.
        reg.write_text('hs-late latesite\n')
        agg.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: 'newsite' not in web.sites(), 'the retired sensor to leave health')
        assert 'newsite' not in web.metrics() and 'newsite' not in web.get('/')[2]
        p = web.cli('--json')
        assert p.returncode == 2  # latesite is still down
        assert [s['site'] for s in json.loads(p.stdout)['sites']] == ['latesite']
    finally:
        assert agg.stop() == 0
    assert 'sensor hs-never of site newsite is not in the registry' in ''.join(agg.log)


def promtool(text, tmp_path):
    if not shutil.which('promtool'):
        pytest.fail('promtool is missing (mk/deps.sh test installs prometheus)')
    p = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def chromium(*args, timeout=90):
    exe = shutil.which('chromium')
    if not exe:
        pytest.fail('chromium is missing (mk/deps.sh test installs it)')
    profile = subprocess.run(['mktemp', '-d'], capture_output=True, text=True).stdout.strip()
    try:
        return subprocess.run(
            [exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
             '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--disable-extensions',
             '--user-data-dir=' + profile] + list(args),
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def status_page_in_chromium(web, tmp_path, sites):
    """The page as a browser renders it: rows and statuses in the DOM, no
    external asset, and screenshots (desktop and phone) for people."""
    _, headers, page = web.get('/')
    assert headers['Content-Type'].startswith('text/html')
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page), 'external asset'
    assert re.search(r'<meta http-equiv="refresh" content="\d+"', page)
    assert 'name="viewport"' in page
    p = chromium('--virtual-time-budget=3000', '--dump-dom', web.base + '/')
    assert p.returncode == 0, p.stderr[-2000:]
    dom = p.stdout
    rows = re.findall(r'<tr class="site" data-site="([^"]+)" data-status="(\w+)"', dom)
    assert dict(rows) == {k: v['status'] for k, v in sites.items()}, rows
    for site, s in sites.items():
        row = re.search(r'<tr class="site" data-site="%s".*?</tr>' % re.escape(site), dom,
                        re.S).group(0)
        assert s['reason'].split(' (')[0] in row.replace('&amp;', '&'), (s['reason'], row)
        assert '<svg' in row, 'no chart for %s' % site
    out = os.path.join(ROOT, 'build')
    for name, size in (('status-page.png', '1280,900'), ('status-page-phone.png', '390,844')):
        path = os.path.join(out, name)
        if os.path.exists(path):
            os.unlink(path)
        p = chromium('--hide-scrollbars', '--window-size=' + size, '--screenshot=' + path,
                     web.base + '/')
        assert p.returncode == 0 and os.path.getsize(path) > 10000, p.stderr[-2000:]
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
