"""Live capture on a real interface: a veth pair between two network
namespaces this test creates. A DNS peer in one namespace sends real
responses (UDP, UDP large enough to be fragmented by the kernel over IPv4
and IPv6, and TCP with split and coalesced segments) to the other, where
almanac-sensor captures; its output must be exactly what was sent.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import PYTHON, binary, merge_lines

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tools'))

import livepeer  # noqa: E402
from pcapgen import truth  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('ip'),
                                reason='needs root and iproute2 to create namespaces')

SRV_IP, CLI_IP = '198.18.53.1', '198.18.53.2'


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


@pytest.fixture
def netns():
    tag = '%d' % os.getpid()
    srv, cli = 'almsrv' + tag, 'almcli' + tag
    vs, vc = 'almvs' + tag[-6:], 'almvc' + tag[-6:]
    try:
        sh('ip', 'netns', 'add', srv)
        sh('ip', 'netns', 'add', cli)
        sh('ip', 'link', 'add', vs, 'netns', srv, 'type', 'veth', 'peer', 'name', vc,
           'netns', cli)
        for ns, dev, ip4, ip6 in ((srv, vs, SRV_IP, livepeer.src6(SRV_IP)),
                                  (cli, vc, CLI_IP, livepeer.src6(CLI_IP))):
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
            sh('ip', '-n', ns, 'addr', 'add', ip4 + '/24', 'dev', dev)
            sh('ip', '-n', ns, 'addr', 'add', ip6 + '/64', 'dev', dev, 'nodad')
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
        yield srv, cli, vc
    finally:
        sh('ip', 'netns', 'del', srv, check=False)
        sh('ip', 'netns', 'del', cli, check=False)


def expected():
    t = truth.Truth()
    for _, msg in livepeer.messages():
        t.add_response(msg, 0)
    return [{k: v for k, v in json.loads(line).items() if k not in ('time_first', 'time_last')}
            for line in t.lines()]


def without_times(observations):
    return [{k: v for k, v in o.items() if k not in ('time_first', 'time_last')}
            for o in observations]


def test_live_capture_matches_what_was_sent(netns, tmp_path):
    srv, cli, dev = netns
    out = tmp_path / 'live.jsonl'
    t0 = int(time.time())
    sensor = subprocess.Popen(['ip', 'netns', 'exec', cli, binary('almanac-sensor'), '-i', dev,
                               '-o', str(out), '--flush-interval', '1', '--sensor-id', 'live'],
                              stderr=subprocess.PIPE, text=True)
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in sensor.stderr], daemon=True).start()
    try:
        wait_for(lambda: any('capturing' in l for l in log), 'the sensor to start capturing')
        # Started as root: it must have switched user before decoding.
        with open('/proc/%d/status' % sensor.pid) as f:
            uid = [l.split()[1] for l in f if l.startswith('Uid:')][0]
        assert uid == '65534'

        server = subprocess.Popen(['ip', 'netns', 'exec', srv, PYTHON, livepeer.__file__,
                                   'tcp-server', SRV_IP], stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == 'ready'
        sh('ip', 'netns', 'exec', cli, PYTHON, livepeer.__file__, 'tcp-client', SRV_IP)
        server.wait(timeout=30)
        sh('ip', 'netns', 'exec', srv, PYTHON, livepeer.__file__, 'udp', SRV_IP, CLI_IP)

        want = expected()

        def got():
            if not out.exists():
                return []
            return without_times(merge_lines(out.read_text().splitlines()))
        wait_for(lambda: got() == want, 'the observations of everything sent', timeout=30,
                 detail=lambda: 'got %s\nwant %s' % (got(), want))
    finally:
        sensor.send_signal(signal.SIGTERM)
        sensor.wait(timeout=30)
    assert sensor.returncode == 0, ''.join(log)
    final = merge_lines(out.read_text().splitlines())
    assert without_times(final) == want
    for o in final:
        assert t0 <= o['time_first'] <= o['time_last'] <= int(time.time())
    text = ''.join(log)
    assert 'stats (final)' in text
    counters = {l.split()[0]: int(l.split()[1]) for l in log
                if l.startswith('  ') and len(l.split()) == 2}
    assert counters['frag_reassembled'] >= 2      # IPv4 and IPv6 datagrams
    assert counters['tcp_messages'] >= 4          # the query and three responses
    assert counters['responses_nxdomain'] == 1
    assert counters['pcap_drop'] == 0


def caps_of(pid):
    with open('/proc/%d/status' % pid) as f:
        return {k: int(v, 16) for k, v in (l.split(':') for l in f)
                if k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb')}


@pytest.mark.skipif(not shutil.which('setpriv'), reason='needs setpriv (util-linux)')
def test_service_user_gives_up_its_capabilities(netns):
    """As the systemd unit starts it: a service user holding CAP_NET_RAW and
    CAP_NET_ADMIN as ambient capabilities. Once the capture is open it holds
    none, and still captures."""
    srv, cli, dev = netns
    sensor = subprocess.Popen(['ip', 'netns', 'exec', cli, 'setpriv', '--reuid=65534',
                               '--regid=65534', '--clear-groups',
                               '--inh-caps=+net_raw,+net_admin',
                               '--ambient-caps=+net_raw,+net_admin', binary('almanac-sensor'),
                               '-i', dev, '-o', '-', '--flush-interval', '1'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log, out = [], []
    threading.Thread(target=lambda: [log.append(l) for l in sensor.stderr], daemon=True).start()
    threading.Thread(target=lambda: [out.append(l) for l in sensor.stdout], daemon=True).start()
    try:
        wait_for(lambda: any('capturing' in l for l in log), 'the sensor to start capturing',
                 detail=lambda: ''.join(log))
        assert any('gave up the capabilities' in l for l in log), ''.join(log)
        assert caps_of(sensor.pid) == {'CapInh': 0, 'CapPrm': 0, 'CapEff': 0, 'CapAmb': 0}
        sh('ip', 'netns', 'exec', srv, PYTHON, livepeer.__file__, 'udp', SRV_IP, CLI_IP)
        wait_for(lambda: any('"rrname"' in l for l in out), 'observations after the drop')
    finally:
        sensor.send_signal(signal.SIGTERM)
        sensor.wait(timeout=30)
    assert sensor.returncode == 0, ''.join(log)


def wait_for(cond, what, timeout=20, detail=None):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail('timed out waiting for %s%s' % (what, '\n' + detail() if detail else ''))
        time.sleep(0.05)
