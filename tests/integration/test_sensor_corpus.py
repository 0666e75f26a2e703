"""tcpdump's own test captures (../shared/corpus/tcpdump-tests, 830 files,
many malformed on purpose): the sensor reads every one without crashing,
hanging or leaking (ASan/UBSan build, and valgrind on a sample), and on the
DNS ones reports what tshark's independent decoding reports.
"""
import os
import subprocess

import pytest

from conftest import CORPUS, PYTHON, ROOT, TOOLS, binary, parse_counters

pytestmark = pytest.mark.skipif(not os.path.isdir(CORPUS),
                                reason='no capture corpus at %s' % CORPUS)

FILES = sorted(os.listdir(CORPUS)) if os.path.isdir(CORPUS) else []

# Files in which tshark finds DNS responses on port 53, and why the sensor
# may legitimately differ on some.
DNS_FILES = {
    'dns-badcookie.pcap': None, 'dns-badlabel.pcap': None, 'dns-badvers.pcap': None,
    'dns-uri.pcap': None, 'dns_fwdptr.pcap': None, 'dns_tcp.pcap': None,
    'dns_udp.pcap': None, 'dnssec.pcap': None, 'edns-opts.pcap': None, 'nflog.pcap': None,
    'dns_udp_2.pcap': 'the response is cut by the snaplen: tshark shows the records before '
                      'the cut, the sensor drops a cut message whole (packets_short_capture)',
    'arcnet-rfc1051-arp-icmp-http.pcap': 'ARCNET link type is not supported',
    'arcnet-rfc1201-arp-icmp-http.pcap': 'ARCNET link type is not supported',
}


def run(path, timeout=60):
    return subprocess.run([binary('almanac-sensor'), '-r', path, '-o', '-'],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize('name', FILES)
def test_every_capture_is_read_safely(name):
    p = run(os.path.join(CORPUS, name))
    # 0: read; 1: refused with a reason (unsupported link type, unreadable
    # file). A sanitizer finding aborts (negative code) or exits otherwise.
    assert p.returncode in (0, 1), p.stderr[-3000:]
    assert 'Sanitizer' not in p.stderr and 'runtime error' not in p.stderr, p.stderr[-3000:]
    if p.returncode == 1:
        assert ('is not supported' in p.stderr or 'capture:' in p.stderr), p.stderr
    else:
        assert 'stats (final)' in p.stderr


@pytest.mark.parametrize('name', sorted(n for n, why in DNS_FILES.items() if why is None))
def test_dns_captures_agree_with_tshark(name, tmp_path):
    path = os.path.join(CORPUS, name)
    out = tmp_path / 'sensor.jsonl'
    p = subprocess.run([binary('almanac-sensor'), '-r', path, '-o', str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert parse_counters(p.stderr)['dns_responses'] >= 1
    t = subprocess.run([PYTHON, os.path.join(TOOLS, 'tshark_truth.py'), path, '--compare',
                        str(out)], capture_output=True, text=True, timeout=300)
    assert t.returncode == 0, t.stdout + t.stderr


VALGRIND_SAMPLE = sorted(set(DNS_FILES) | set(FILES[::40]))


@pytest.mark.skipif(not os.path.exists('/usr/bin/valgrind'), reason='valgrind not installed')
def test_valgrind_sample_is_clean():
    """The optimised build under valgrind: no invalid access, no leak."""
    plain = os.path.join(ROOT, 'build', 'almanac-sensor')
    if not os.path.exists(plain):
        pytest.fail('%s is not built' % plain)
    failures = []
    for name in VALGRIND_SAMPLE:
        path = os.path.join(CORPUS, name)
        if not os.path.exists(path):
            continue
        p = subprocess.run(['valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
                            '--errors-for-leak-kinds=definite,indirect', plain, '-r', path,
                            '-o', '/dev/null'], capture_output=True, text=True, timeout=300)
        if p.returncode not in (0, 1):
            failures.append('%s: %d\n%s' % (name, p.returncode, p.stderr[-2000:]))
    assert not failures, '\n'.join(failures)
