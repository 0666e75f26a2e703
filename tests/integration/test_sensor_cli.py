"""almanac-sensor's command line, configuration files and failure modes:
clear messages and exit codes, never a crash."""
import os
import signal
import struct
import subprocess
import threading
import time

import pytest

from conftest import DATA, binary, run_sensor

GOOD = os.path.join(DATA, 'link_ethernet.pcap')


def sensor(*args, **kw):
    return subprocess.run([binary('almanac-sensor')] + list(args), capture_output=True,
                          text=True, timeout=60, **kw)


def test_help_and_version():
    p = sensor('-h')
    assert p.returncode == 0
    for opt in ('--read', '--interface', '--output', '--flush-interval', '--filter',
                '--buffer-size', '--promisc', '--sections', '--user', '--config'):
        assert opt in p.stdout
    p = sensor('--version')
    assert p.returncode == 0 and p.stdout.startswith('almanac-sensor ')


def test_usage_errors():
    p = sensor()
    assert p.returncode == 2 and 'give exactly one of -r FILE or -i IFACE' in p.stderr
    p = sensor('-r', GOOD)
    assert p.returncode == 2 and 'give -o FILE' in p.stderr
    p = sensor('-r', GOOD, '-i', 'lo', '-o', '-')
    assert p.returncode == 2
    p = sensor('-r', GOOD, '-o', '-', '--bogus')
    assert p.returncode == 2 and 'unknown option --bogus' in p.stderr
    p = sensor('-r', GOOD, '-o', '-', '--flush-interval', '0')
    assert p.returncode == 2 and 'out of range' in p.stderr
    p = sensor('-r', GOOD, '-o', '-', '--sections', 'answer,bogus')
    assert p.returncode == 2 and 'sections' in p.stderr
    p = sensor('-r', GOOD, '-o', '-', '--ports', '53,70000')
    assert p.returncode == 2 and 'ports' in p.stderr


def test_config_file(tmp_path):
    conf = tmp_path / 'sensor.conf'
    conf.write_text('# test\n[capture]\nread = %s\n[output]\noutput = -\n'
                    '[sensor]\nsensor-id = from-conf\n[fold]\nflush-interval = 2m\n' % GOOD)
    p = sensor('-c', str(conf), '-n')
    assert p.returncode == 0 and 'configuration ok' in p.stderr
    run = run_sensor(['-c', str(conf)])
    assert '"sensor_id":"from-conf"' in run.stdout
    run = run_sensor(['-c', str(conf), '--sensor-id', 'from-cli'])
    assert '"sensor_id":"from-cli"' in run.stdout


def test_cli_capture_source_replaces_the_files(tmp_path):
    """A deployed config names the interface; -r on the command line replays
    a file with the rest of that config, and -i replaces a file's read."""
    conf = tmp_path / 'sensor.conf'
    conf.write_text('[capture]\ninterface = almanac-no-such0\n[output]\noutput = -\n'
                    '[sensor]\nsensor-id = deployed\n')
    run = run_sensor(['-c', str(conf), '-r', GOOD])
    assert '"sensor_id":"deployed"' in run.stdout
    p = sensor('-c', str(conf), '-r', GOOD, '-i', 'lo')
    assert p.returncode == 2 and 'give exactly one of -r FILE or -i IFACE' in p.stderr
    conf.write_text('[capture]\nread = %s\n[output]\noutput = -\n' % GOOD)
    p = sensor('-c', str(conf), '-i', 'almanac-no-such0')
    assert p.returncode != 0 and 'almanac-no-such0' in p.stderr
    assert '"rrname"' not in p.stdout


def test_config_errors_name_file_and_line(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('[capture]\nread = x\n[fold]\nflush-intreval = 5\n')
    p = sensor('-c', str(conf), '-n')
    assert p.returncode == 2
    assert '%s:4: unknown key \'flush-intreval\' in [fold]' % conf in p.stderr
    p = sensor('-c', str(tmp_path / 'missing.conf'), '-n')
    assert p.returncode == 2 and 'missing.conf' in p.stderr


def test_missing_and_garbage_files(tmp_path):
    p = sensor('-r', str(tmp_path / 'nope.pcap'), '-o', '-')
    assert p.returncode == 1 and 'nope.pcap' in p.stderr and 'No such file' in p.stderr
    junk = tmp_path / 'junk.pcap'
    junk.write_bytes(b'this is not a capture file at all' * 10)
    p = sensor('-r', str(junk), '-o', '-')
    assert p.returncode == 1 and 'junk.pcap' in p.stderr
    empty = tmp_path / 'empty.pcap'
    empty.write_bytes(b'')
    p = sensor('-r', str(empty), '-o', '-')
    assert p.returncode == 1 and 'empty.pcap' in p.stderr


def test_unsupported_link_type(tmp_path):
    cap = tmp_path / 'wifi.pcap'
    # A pcap header for IEEE 802.11 (105) and one tiny frame.
    cap.write_bytes(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105) +
                    struct.pack('<IIII', 1, 0, 4, 4) + b'\0\0\0\0')
    p = sensor('-r', str(cap), '-o', '-')
    assert p.returncode == 1
    assert 'link type 105 (IEEE802_11) is not supported' in p.stderr


def test_truncated_file_keeps_what_was_read(tmp_path):
    with open(GOOD, 'rb') as f:
        data = f.read()
    cut = tmp_path / 'cut.pcap'
    cut.write_bytes(data[:-10])  # the last record loses its tail
    p = sensor('-r', str(cut), '-o', '-')
    assert p.returncode == 0
    assert 'truncated' in p.stderr
    assert p.stdout.count('"rrtype"') >= 1


def test_stdin_capture():
    with open(GOOD, 'rb') as f:
        p = subprocess.run([binary('almanac-sensor'), '-r', '-', '-o', '-'], stdin=f,
                           capture_output=True, timeout=60)
    assert p.returncode == 0 and b'"rrtype":"A"' in p.stdout


def test_output_errors():
    p = sensor('-r', GOOD, '-o', '/nonexistent-dir/out.jsonl')
    assert p.returncode == 1 and 'cannot open /nonexistent-dir/out.jsonl' in p.stderr
    p = sensor('-r', GOOD, '-o', '/dev/full')
    assert p.returncode == 1 and 'No space left on device' in p.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason='privilege drop needs root')
def test_root_switches_user_before_decoding():
    p = sensor('-r', GOOD, '-o', '-')
    assert p.returncode == 0
    lines = p.stderr.splitlines()
    switched = [i for i, l in enumerate(lines) if 'switched to user nobody' in l]
    reading = [i for i, l in enumerate(lines) if 'reading file' in l]
    assert switched and reading and switched[0] < reading[0]
    p = sensor('-r', GOOD, '-o', '-', '--user', 'no-such-user-here')
    assert p.returncode == 1 and 'cannot switch to user no-such-user-here' in p.stderr
    p = sensor('-r', GOOD, '-o', '-', '--user', 'root')
    assert p.returncode == 1 and 'user is root' in p.stderr


def test_sigusr1_prints_counters_and_sigterm_flushes(tmp_path):
    """Reading a capture from a FIFO that stays open: SIGUSR1 prints the
    counters (at the next packets), SIGTERM flushes the window and exits 0."""
    fifo = tmp_path / 'cap.fifo'
    os.mkfifo(fifo)
    proc = subprocess.Popen([binary('almanac-sensor'), '-r', str(fifo), '-o', '-',
                             '--flush-interval', '1d'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: [lines.append(l) for l in proc.stderr], daemon=True)
    reader.start()
    with open(GOOD, 'rb') as f:
        data = f.read()
    w = open(fifo, 'wb')
    w.write(data)
    w.flush()
    wait_for(lambda: any('reading file' in l for l in lines))
    proc.send_signal(signal.SIGUSR1)
    time.sleep(0.2)
    w.write(data[24:])  # more records, no second file header
    w.flush()
    wait_for(lambda: any(l == 'almanac-sensor: stats\n' for l in lines))
    proc.terminate()
    out = proc.stdout.read()
    proc.wait(timeout=30)
    reader.join(timeout=10)
    w.close()
    assert proc.returncode == 0
    assert any('stats (final)' in l for l in lines)
    # The window was a day long: only SIGTERM's flush can have written these.
    assert '"rrtype":"A"' in out


def wait_for(cond, timeout=30):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail('timed out waiting')
        time.sleep(0.02)
