"""Sensors -> aggregator -> LevelDB, exactly once, with real processes,
real mutual TLS on loopback and real certificates (deploy/almanac-pki).

The invariant checked throughout: the aggregator's --export of the store
equals the sensor's own -o output for the same capture (tuples, counts,
first and last times), whatever fails in between.
"""
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (binary, diff_observations, gencap, load_jsonl, merge_lines,
                      parse_counters)
import procs
from procs import Aggregator, Pki, run, sensor_cmd, wait_exit, wait_for


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp('pki') / 'ca')


@pytest.fixture(scope='module')
def capture(tmp_path_factory):
    d = tmp_path_factory.mktemp('cap')
    cap, truth = str(d / 'r.pcap'), str(d / 'r.truth.jsonl')
    gencap('realistic', '--out', cap, '--truth', truth, '--seed', '31', '--packets', '15000')
    return cap, truth


@pytest.fixture
def agg(pki, tmp_path):
    a = Aggregator(pki, tmp_path / 'db').start()
    yield a
    a.stop()


def assert_same(got, want, what):
    diff = diff_observations(got, want)
    assert not diff, '%s differs:\n%s' % (what, diff)


def test_batches_reach_the_store_exactly_once(pki, agg, capture, tmp_path):
    cap, truth = capture
    local = tmp_path / 'local.jsonl'
    p = run(sensor_cmd(pki, agg.url, cap, tmp_path / 'state', 's1', 'fra', '-o', str(local),
                       '--batch-size', '500'))
    assert p.returncode == 0, p.stderr
    c = p.counters
    assert c['batches_spooled'] >= 5
    assert c['batches_acked'] == c['batches_spooled']
    assert not os.listdir(tmp_path / 'state' / 'spool'), 'acked batches stay spooled'
    mine = load_jsonl(str(local))
    assert_same(mine, load_jsonl(truth), 'the sensor output')
    ac = agg.counters()
    assert ac['batches_applied'] == c['batches_spooled']
    assert ac['observations_applied'] == c['observations_emitted'] + c['negative_emitted']
    # every merged observation found its tuple's value in exactly one place
    assert ac['merge_in_group'] + ac['merge_filter_new'] + ac['merge_in_cache'] + \
        ac['merge_store_reads'] == ac['observations_applied'], ac
    assert ac['merge_filter_new'] > 0 and ac['merge_read_new'] <= ac['merge_store_reads']
    agg.stop()
    assert_same(agg.exported(), mine, 'the store')


def test_value_cache_size_trades_reads_and_stays_exact(pki, capture, tmp_path):
    """Two sensors send the same tuples: with the default value cache the
    second one's repeats are found in memory; with --value-cache 1024 most
    are read back from LevelDB. The store is exact either way."""
    cap, _ = capture
    reads = {}
    for cache in ('default', '1024'):
        extra = [] if cache == 'default' else ['--value-cache', cache]
        a = Aggregator(pki, tmp_path / ('db-' + cache), *extra).start()
        try:
            outs = []
            for name in ('vc1', 'vc2'):  # names no other test gives another site
                local = tmp_path / ('%s-%s.jsonl' % (cache, name))
                p = run(sensor_cmd(pki, a.url, cap, tmp_path / (cache + name), name, 'fra',
                                   '-o', str(local)))
                assert p.returncode == 0, p.stderr
                outs += local.read_text().splitlines()
            ac = a.counters()
            reads[cache] = ac['merge_store_reads']
            assert ac['merge_in_group'] + ac['merge_filter_new'] + ac['merge_in_cache'] + \
                reads[cache] == ac['observations_applied'], ac
        finally:
            a.stop()
        assert_same(a.exported(), merge_lines(outs), 'the store (value cache %s)' % cache)
    assert reads['1024'] > 1000 and reads['1024'] > 10 * reads['default'], reads


def test_store_compression_is_a_choice(pki, capture, tmp_path):
    """--compression none stores the same tuples exactly, in larger files than
    the default snappy; a name other than snappy or none is refused."""
    cap, _ = capture
    sizes = {}
    for comp in ('snappy', 'none'):
        db = tmp_path / ('db-' + comp)
        a = Aggregator(pki, db, '--compression', comp).start()
        try:
            out = tmp_path / ('%s.jsonl' % comp)
            p = run(sensor_cmd(pki, a.url, cap, tmp_path / comp, 'cz1', 'fra', '-o', str(out)))
            assert p.returncode == 0, p.stderr
        finally:
            a.stop()
        assert_same(a.exported(), merge_lines(out.read_text().splitlines()),
                     'the store (compression %s)' % comp)
        p = run([binary('almanac-aggregator'), '--db', str(db), '--compact',
                 '--compression', comp])
        assert p.returncode == 0, p.stderr
        sizes[comp] = sum(f.stat().st_size for f in db.glob('*.ldb'))
    assert sizes['none'] > 1.3 * sizes['snappy'] > 0, sizes
    p = run([binary('almanac-aggregator'), '--db', str(tmp_path / 'db-x'), '--compact',
             '--compression', 'zstd'])
    assert p.returncode != 0 and "compression: 'zstd' is not snappy or none" in p.stderr



def test_store_table_size_and_write_buffer_are_choices(tmp_path):
    """--table-size caps the LevelDB files written (here after --import and
    --compact), --write-buffer is accepted, the tuples are the same either
    way, and sizes under the 1M minimum are refused."""
    cof = tmp_path / 'many.jsonl'
    cof.write_text(''.join(
        '{"rrname": "h%d.zone%d.example", "rrtype": "A", "rdata": "10.%d.%d.%d", "count": %d, '
        '"time_first": 1700000000, "time_last": %d}\n'
        % (i, i % 97, i >> 16 & 255, i >> 8 & 255, i & 255, i % 7 + 1, 1700000000 + i)
        for i in range(60000)))
    largest, exported = {}, {}
    for size in ('1M', '8M'):
        db = str(tmp_path / ('db-' + size))
        opts = ['--table-size', size, '--write-buffer', '1M', '--compression', 'none']
        for step in (['--import', str(cof)], ['--compact']):
            p = run([binary('almanac-aggregator'), '--db', db] + step + opts)
            assert p.returncode == 0, p.stderr
        files = [os.path.getsize(os.path.join(db, f)) for f in os.listdir(db)
                 if f.endswith('.ldb')]
        largest[size] = max(files)
        exported[size] = run([binary('almanac-aggregator'), '--db', db, '--export', '-']).stdout
    # LevelDB closes a table at the first key past the size, so allow one block
    assert largest['1M'] <= (1 << 20) + 65536 < 2 * (1 << 20) < largest['8M'], largest
    assert exported['1M'] == exported['8M'] and exported['1M'].count('\n') == 60000
    for opt in ('--table-size', '--write-buffer'):
        p = run([binary('almanac-aggregator'), '--db', str(tmp_path / 'db-x'), '--compact',
                 opt, '512K'])
        assert p.returncode != 0 and opt[2:] in p.stderr, p.stderr


def test_open_file_limit_is_raised_and_open_tables_is_a_choice(tmp_path):
    """The aggregator raises its soft open-file limit to the hard one
    before LevelDB opens (LevelDB sizes its descriptors from it), says so,
    and takes --open-tables from 64 up."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = min(256, hard)
    want = min(hard, 1 << 20)
    cof = tmp_path / 'one.jsonl'
    cof.write_text('{"rrname": "a.example", "rrtype": "A", "rdata": "10.0.0.1", "count": 1, '
                   '"time_first": 1700000000, "time_last": 1700000000}\n')
    db = str(tmp_path / 'db')
    p = subprocess.run([binary('almanac-aggregator'), '--db', db, '--import', str(cof),
                        '--open-tables', '64'], capture_output=True, text=True, timeout=60,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                             (soft, hard)))
    assert p.returncode == 0, p.stderr
    if want > soft:
        assert 'open-file limit raised from %d to %d' % (soft, want) in p.stderr, p.stderr
    assert run([binary('almanac-aggregator'), '--db', db, '--export', '-']).stdout.count(
        'a.example') == 1
    p = run([binary('almanac-aggregator'), '--db', db, '--export', '-', '--open-tables', '63'])
    assert p.returncode != 0 and 'open-tables' in p.stderr, p.stderr


def test_export_carries_sites_and_imports_back_exactly(pki, agg, capture, tmp_path):
    cap, _ = capture
    for name, site in (('s1', 'fra'), ('s2', 'ams')):
        p = run(sensor_cmd(pki, agg.url, cap, tmp_path / name, name, site))
        assert p.returncode == 0, p.stderr
    agg.stop()
    text = agg.export()
    import json
    first = json.loads(text.splitlines()[0])
    assert set(first['sites']) == {'fra', 'ams'}
    assert first['count'] == sum(s['count'] for s in first['sites'].values())
    dump = tmp_path / 'dump.jsonl'
    dump.write_text(text)
    db2 = tmp_path / 'db2'
    for _ in range(2):  # the second import of the same file changes nothing
        p = run([binary('almanac-aggregator'), '--db', str(db2), '--import', str(dump)])
        assert p.returncode == 0, p.stderr
    p = run([binary('almanac-aggregator'), '--db', str(db2), '--export', '-'])
    assert p.stdout == text


def sensor_refused(pki, agg_url, cap, state, crt_key, timeout='3'):
    crt, key = crt_key
    return run([binary('almanac-sensor'), '-r', cap, '--aggregator', agg_url, '--ca', pki.ca,
                '--cert', crt, '--key', key, '--state-dir', str(state), '--drain-timeout',
                timeout])


def test_certificates_that_must_not_connect(pki, capture, tmp_path, tmp_path_factory):
    """Another CA, expired, revoked, and no certificate at all: refused at
    the TLS handshake, counted, nothing stored."""
    cap, _ = capture
    other = Pki(tmp_path_factory.mktemp('other') / 'ca')
    expired = pki.sensor('old', 'fra', '--not-after', '20200102000000Z')
    revoked = pki.sensor('gone', 'fra')
    pki.revoke('gone')
    revoked = (revoked[0].replace(pki.dir, pki.dir + '/revoked'), None)
    revoked_files = sorted(os.listdir(os.path.join(pki.dir, 'revoked')))
    crt = [f for f in revoked_files if f.startswith('gone.') and f.endswith('.crt')][0]
    revoked = (os.path.join(pki.dir, 'revoked', crt),
               os.path.join(pki.dir, 'revoked', crt[:-4] + '.key'))
    a = Aggregator(pki, tmp_path / 'db', '--crl', pki.crl).start()
    try:
        for i, ck in enumerate([other.sensor('x1', 'fra'), expired, revoked]):
            p = sensor_refused(pki, a.url, cap, tmp_path / ('st%d' % i), ck)
            assert p.returncode == 1, p.stderr
            assert 'not acknowledged' in p.stderr
            assert p.counters['batches_acked'] == 0
        # A client without any certificate.
        ctx = ssl.create_default_context(cafile=pki.ca)
        with socket.create_connection(('localhost', a.port)) as s:
            with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
                with ctx.wrap_socket(s, server_hostname='localhost') as t:
                    t.recv(1)
        c = a.counters()
        assert c['tls_handshakes_refused'] >= 4
        assert c['batches_received'] == 0
    finally:
        a.stop()
    assert a.export() == ''


def batchsend(pki, agg, mode, *args, who=('s1', 'fra')):
    return procs.batchsend(agg, *pki.sensor(*who), mode, *args)


def test_batches_that_must_not_be_applied(pki, agg, tmp_path):
    """Valid TLS, refused batches: analyst certificate, a signature by
    another key, another sensor's stream."""
    stream = '00112233445566778899aabbccddeeff'
    crt, key = pki.issue('analyst', 'ann')
    p = subprocess.run([binary('tools/batchsend'), agg.url, pki.ca, crt, key, 'valid', stream,
                        '1'], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == 'status=-1008 msg=refused: wrong role (subject O)'
    s2crt, s2key = pki.sensor('s2', 'ams')
    assert batchsend(pki, agg, 'wrong-key', s2crt, s2key) == \
        'status=-1008 msg=refused: bad signature'
    assert batchsend(pki, agg, 'valid', stream, '1') == 'status=0 msg=applied'
    assert batchsend(pki, agg, 'valid', stream, '1') == \
        'status=0 msg=duplicate of an applied batch'
    assert batchsend(pki, agg, 'valid', stream, '2', who=('s2', 'ams')) == \
        'status=-1008 msg=stream belongs to sensor s1 of site fra'
    c = agg.counters()
    assert c['refused_auth_wrong_role'] == 1
    assert c['refused_auth_bad_signature'] == 1
    assert c['refused_stream_owner'] == 1
    assert c['batches_applied'] == 1 and c['batches_duplicate'] == 1
    agg.stop()
    lines = agg.exported()
    assert len(lines) == 1 and lines[0]['count'] == 1


def test_registry_limits_identities(pki, capture, tmp_path):
    cap, _ = capture
    reg = tmp_path / 'registry'
    reg.write_text('# sensors allowed\ns1 fra\n')
    a = Aggregator(pki, tmp_path / 'db', '--registry', str(reg)).start()
    try:
        assert batchsend(pki, a, 'valid', 'aa' * 16, '1', who=('s2', 'ams')) == \
            'status=-1008 msg=refused: sensor s2 of site ams is not registered'
        assert batchsend(pki, a, 'valid', 'bb' * 16, '1') == 'status=0 msg=applied'
        reg.write_text('s1 fra\ns2 ams\n')
        a.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: any('reloaded' in l for l in a.log), 'the reload')
        assert batchsend(pki, a, 'valid', 'aa' * 16, '1', who=('s2', 'ams')) == \
            'status=0 msg=applied'
        assert a.counters()['refused_registry'] == 1
    finally:
        a.stop()


def test_hostile_messages_get_errors_and_the_aggregator_keeps_serving(pki, capture, tmp_path):
    cap, _ = capture
    a = Aggregator(pki, tmp_path / 'db', '--max-batch-bytes', '1M').start()
    try:
        for mode in ('garbage', 'truncated', 'deep', 'huge-count', 'empty'):
            assert batchsend(pki, a, mode) == 'status=-1000 msg=malformed batch envelope', mode
        assert batchsend(pki, a, 'version') == 'status=-1011 msg=unsupported batch version'
        assert batchsend(pki, a, 'oversized', '1200000').startswith(
            'status=-1001 msg=batch of 12')
        # Beyond twice the limit NNG drops the connection: no answer.
        before = a.counters()['pipes_closed']
        assert batchsend(pki, a, 'oversized', '3000000') == 'noreply'
        c = a.counters()
        assert c['refused_malformed'] == 5 and c['refused_version'] == 1
        assert c['refused_oversize'] == 1
        assert c['pipes_closed'] > before
        # ...and a real sensor still gets through.
        p = run(sensor_cmd(pki, a.url, cap, tmp_path / 'state'))
        assert p.returncode == 0, p.stderr
        assert p.counters['batches_acked'] >= 1
    finally:
        a.stop()


def hello_and_leave(port):
    """A client that sends its TLS hello and goes away mid-handshake, as a
    port scanner, a sensor restarting while it connects or a cut link do.
    While the aggregator opens its listener anew it may be refused or cut:
    the same to this client."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(('127.0.0.1', port)) as s:
            t = ctx.wrap_socket(s, do_handshake_on_connect=False)
            t.setblocking(False)
            try:
                t.do_handshake()  # sends the hello; the answer is not awaited
            finally:
                t.close()
    except (ssl.SSLError, OSError):  # SSLWantReadError: the usual outcome
        pass


def test_peers_leaving_mid_handshake_do_not_stop_the_listener(pki, capture, tmp_path):
    """NNG 1.5.2 stops accepting for good after some of these (listener.h):
    the aggregator notices, opens its listener anew, and sensors get
    through. Without that every sensor connects and is answered nothing."""
    cap, _ = capture
    a = Aggregator(pki, tmp_path / 'db').start()
    try:
        # After such a failure NNG's listener rests 100 ms, and failures
        # then do not reach it: only one after a quiet moment can stop it.
        tries = 0
        while tries < 600 and a.counters()['listener_restarts'] == 0:
            for _ in range(10):
                hello_and_leave(a.port)
                time.sleep(0.12)
            tries += 10
        # The watch looks once a second, gives its check 2 s and a second
        # check 5 s.
        wait_for(lambda: a.counters()['listener_restarts'] > 0,
                 'the listener to be opened anew after %d such peers' % tries, timeout=20,
                 detail=lambda: ''.join(a.log[-40:]))
        stream = 'ab' * 16
        wait_for(lambda: batchsend(pki, a, 'valid', stream, '1').startswith('status=0'),
                 'a batch to be taken after the listener was opened anew', timeout=30)
        p = run(sensor_cmd(pki, a.url, cap, tmp_path / 'state'))
        assert p.returncode == 0, p.stderr
        assert p.counters['batches_acked'] >= 1
        c = a.counters()
        # Each re-opening took two failed checks in a row.
        assert c['listener_probes'] >= 2 * c['listener_restarts'] >= 2, c
        assert any('opened it anew' in l for l in a.log)
    finally:
        a.stop()


def test_aggregator_killed_mid_ingest_loses_and_doubles_nothing(pki, capture, tmp_path):
    cap, _ = capture
    a = Aggregator(pki, tmp_path / 'db').start()
    local = tmp_path / 'local.jsonl'
    sensor = subprocess.Popen(sensor_cmd(pki, a.url, cap, tmp_path / 'state', 's1', 'fra', '-o',
                                         str(local), '--batch-size', '20', '--inflight', '2',
                                         '--drain-timeout', '600'),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in sensor.stderr], daemon=True).start()
    try:
        wait_for(lambda: a.counters()['batches_applied'] >= 20, 'some batches applied')
        a.kill()
        a.start()  # same store, same port
        assert wait_exit(sensor, 300, log) == 0, ''.join(log)
    finally:
        if sensor.poll() is None:
            sensor.kill()
        a.stop()
    c = parse_counters(''.join(log))
    assert c['batches_acked'] == c['batches_spooled']
    assert_same(a.exported(), load_jsonl(str(local)), 'the store after a crash')


def test_sigterm_answers_the_batches_in_flight_and_loses_nothing(pki, capture, tmp_path):
    """SIGTERM in the middle of a backlog: the aggregator stops taking
    batches, applies and answers every one it had received (its final
    counters account for each), closes the store and exits 0; restarted,
    it takes the rest, and the store is exact."""
    cap, truth = capture
    a = Aggregator(pki, tmp_path / 'db')
    s, log = sensor_until_draining(pki, a.url, cap, tmp_path / 'state', '--batch-size', '20',
                                   '--inflight', '16')
    try:
        a.start()
        wait_for(lambda: a.counters()['batches_applied'] >= 10, 'some batches applied')
        assert a.stop() == 0, ''.join(a.log[-20:])
        c = a.final_counters()
        answered = sum(c[k] for k in c if k.startswith('refused_') and
                       not k.startswith('refused_auth_')) + \
            c['batches_applied'] + c['batches_duplicate'] + c['heartbeats_received']
        assert c['batches_received'] == answered, c
        spooled = len(os.listdir(tmp_path / 'state' / 'spool'))
        assert spooled > 0, 'the backlog was gone before SIGTERM: nothing tested'
        a.start()
        assert wait_exit(s, 300, log) == 0, ''.join(log)
    finally:
        if s.poll() is None:
            s.kill()
        a.stop()
    assert_same(a.exported(), load_jsonl(truth), 'the store after SIGTERM and a restart')


def sensor_summary(log):
    """The counters of a sensor's final summary, once its log has them
    all (ship_stalls is the last one printed)."""
    wait_for(lambda: 'ship_stalls' in parse_counters(''.join(log)), 'the sensor summary')
    return parse_counters(''.join(log))


def sensor_until_draining(pki, url, cap, state, *extra):
    """Runs a sensor until the whole capture is spooled and it waits for acks."""
    s = subprocess.Popen(sensor_cmd(pki, url, cap, state, 's1', 'fra', '--drain-timeout', '600',
                                    *extra),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in s.stderr], daemon=True).start()
    wait_for(lambda: any('waiting up to' in l for l in log), 'the sensor to drain',
             detail=lambda: ''.join(log))
    return s, log


def test_sensor_killed_then_restarted_on_the_rest(pki, tmp_path):
    d = tmp_path
    gencap('realistic', '--out', str(d / 'a.pcap'), '--truth', str(d / 'a.t'), '--seed', '41',
           '--packets', '8000')
    gencap('realistic', '--out', str(d / 'b.pcap'), '--truth', str(d / 'b.t'), '--seed', '42',
           '--packets', '8000')
    want = merge_lines(open(d / 'a.t').read().splitlines() + open(d / 'b.t').read().splitlines())
    a = Aggregator(pki, d / 'db')  # not started: the sensor spools everything
    s, _ = sensor_until_draining(pki, a.url, str(d / 'a.pcap'), d / 'state', '--batch-size', '50')
    s.send_signal(signal.SIGKILL)
    s.wait()
    assert os.listdir(d / 'state' / 'spool')
    a.start()
    try:
        p = run(sensor_cmd(pki, a.url, str(d / 'b.pcap'), d / 'state', 's1', 'fra'))
        assert p.returncode == 0, p.stderr
    finally:
        a.stop()
    assert_same(a.exported(), want, 'the store after a sensor crash')


@pytest.fixture
def shm_dir():
    """A directory on tmpfs: spooling without disk fsyncs outruns the acks."""
    d = tempfile.mkdtemp(dir='/dev/shm' if os.path.isdir('/dev/shm') else None)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_sensor_killed_while_acks_flow(pki, capture, tmp_path, shm_dir):
    cap, truth = capture
    state = os.path.join(shm_dir, 'state')
    a = Aggregator(pki, tmp_path / 'db').start()
    try:
        s, _ = sensor_until_draining(pki, a.url, cap, state, '--batch-size', '5',
                                     '--inflight', '1')
        wait_for(lambda: a.counters()['batches_applied'] >= 5, 'some acks')
        s.send_signal(signal.SIGKILL)
        s.wait()
        left = len(os.listdir(os.path.join(state, 'spool')))
        assert left > 0, 'the sensor finished before it was killed: nothing tested'
        empty = tmp_path / 'empty.pcap'
        with open(cap, 'rb') as f:
            empty.write_bytes(f.read(24))  # the file header only
        p = run(sensor_cmd(pki, a.url, str(empty), state))
        assert p.returncode == 0, p.stderr
        # What was in flight at the kill may be applied already: acked as
        # a duplicate now, never counted twice (the equality below).
        assert p.counters['batches_acked'] >= left - 1
    finally:
        a.stop()
    assert_same(a.exported(), load_jsonl(truth), 'the store')


def test_aggregator_down_then_up(pki, capture, tmp_path):
    cap, truth = capture
    a = Aggregator(pki, tmp_path / 'db')
    s, log = sensor_until_draining(pki, a.url, cap, tmp_path / 'state', '--batch-size', '200')
    assert len(os.listdir(tmp_path / 'state' / 'spool')) >= 3
    a.start()
    try:
        assert wait_exit(s, 300, log) == 0, ''.join(log)
    finally:
        a.stop()
    assert not os.listdir(tmp_path / 'state' / 'spool')
    assert_same(a.exported(), load_jsonl(truth), 'the store')


def test_a_long_outage_makes_the_sensor_dial_anew(pki, capture, tmp_path):
    """With no connection for 15 s the sensor replaces its dialer (NNG
    1.5.2's has been seen to stop redialling after an aggregator restart,
    leaving a sensor waiting for good). The new dialer must deliver, and
    the store must be exact."""
    cap, truth = capture
    a = Aggregator(pki, tmp_path / 'db')
    s, log = sensor_until_draining(pki, a.url, cap, tmp_path / 'state', '--batch-size', '200')
    try:
        wait_for(lambda: any('dialling anew' in l for l in log), 'the sensor to dial anew',
                 timeout=40, detail=lambda: ''.join(log))
        a.start()
        assert wait_exit(s, 300, log) == 0, ''.join(log)
    finally:
        if s.poll() is None:
            s.kill()
        a.stop()
    assert sensor_summary(log)['ship_redials'] >= 1, ''.join(log)
    assert sum('dialling anew' in l for l in log) == 1, 'logged once per outage'
    assert_same(a.exported(), load_jsonl(truth), 'the store')


class MuteAggregator:
    """A TLS server with the aggregator's certificate that completes NNG's
    handshake as a REP peer, takes requests and never answers: a peer
    whose connection stays up while it says nothing."""

    def __init__(self, pki, port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*pki.agg)
        self.srv = socket.create_server(('127.0.0.1', port))
        self.srv.settimeout(0.2)
        self.ctx, self.conns, self.running = ctx, [], True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                raw, _ = self.srv.accept()
            except OSError:
                continue
            threading.Thread(target=self.mute, args=(raw,), daemon=True).start()

    def mute(self, raw):
        try:
            c = self.ctx.wrap_socket(raw, server_side=True)
            self.conns.append(c)
            c.sendall(b'\x00SP\x00\x00\x31\x00\x00')  # SP header: protocol rep0 (49)
            while self.running and c.recv(65536):
                pass
        except OSError:
            pass

    def close(self):
        if not self.running:
            return
        self.running = False
        self.thread.join()
        self.srv.close()
        for c in self.conns:
            c.close()


def test_a_peer_that_never_answers_makes_the_sensor_dial_anew(pki, capture, tmp_path):
    """The aggregator's port answers TLS and NNG's handshake, then nothing:
    with no answer for a whole reply timeout the sensor drops that
    connection and dials anew (NNG 1.5.2 was seen holding a dead one for
    good), so a real aggregator taking the port later gets every batch."""
    cap, truth = capture
    a = Aggregator(pki, tmp_path / 'db')
    mute = MuteAggregator(pki, a.port)
    s, log = sensor_until_draining(pki, a.url, cap, tmp_path / 'state', '--batch-size', '200',
                                   '--reply-timeout', '2')
    try:
        wait_for(lambda: any('has answered nothing' in l for l in log),
                 'the sensor to give up on the mute peer', timeout=60, detail=lambda: ''.join(log))
        assert mute.conns, 'the sensor never reached the mute peer: nothing tested'
        mute.close()
        a.start()
        assert wait_exit(s, 300, log) == 0, ''.join(log)
    finally:
        if s.poll() is None:
            s.kill()
        mute.close()
        a.stop()
    assert sensor_summary(log)['ship_redials'] >= 1, ''.join(log)
    assert_same(a.exported(), load_jsonl(truth), 'the store')


def test_batches_share_synced_writes_up_to_the_group_limits(pki, capture, tmp_path):
    """A spooled backlog arrives 16 batches at a time. With --group-wait a
    synced write waits for the batches in flight and carries several,
    never more than --group-batches of them or --group-obs observations;
    with --group-batches 1 each batch has its own write. The store is exact
    whatever the grouping."""
    cap, truth = capture
    wait = ['--group-wait', '1000']
    for case, extra in (('wait', wait), ('batches4', wait + ['--group-batches', '4']),
                        ('obs1000', wait + ['--group-obs', '1000']),
                        ('batches1', wait + ['--group-batches', '1'])):
        a = Aggregator(pki, tmp_path / ('db-' + case), *extra)
        s, slog = sensor_until_draining(pki, a.url, cap, tmp_path / ('state-' + case),
                                        '--batch-size', '100', '--inflight', '16')
        a.start()
        try:
            assert wait_exit(s, 300, slog) == 0, ''.join(slog)
            ac = a.counters()
        finally:
            a.stop()
        applied, commits = ac['batches_applied'], ac['store_commits']
        # 16 senders count acks at once: none may be lost.
        sc = sensor_summary(slog)
        assert sc['batches_acked'] == sc['batches_spooled'] == applied, (sc, ac)
        assert applied >= 30 and ac['store_commit_batches'] == applied, ac
        if case == 'wait':  # 16 in flight: every write but the last is full
            assert commits <= -(-applied // 16) + 1, ac
        if case == 'batches4':
            assert -(-applied // 4) <= commits <= -(-applied // 4) + 1, ac
        if case == 'obs1000':
            assert ac['observations_applied'] / 1000 <= commits < applied / 4, ac
        if case == 'batches1':
            assert commits == applied, ac
        assert_same(a.exported(), load_jsonl(truth), 'the store (%s)' % case)


def test_tiny_spool_drops_are_counted_exactly(pki, capture, tmp_path):
    cap, _ = capture
    a = Aggregator(pki, tmp_path / 'db')
    p = run(sensor_cmd(pki, a.url, cap, tmp_path / 'state', 's1', 'fra', '--spool-max-bytes',
                       '64k', '--batch-size', '100', '--drain-timeout', '2'))
    assert p.returncode == 1 and 'not acknowledged' in p.stderr
    first = p.counters
    assert first['spool_dropped_batches'] > 0
    a.start()
    try:
        empty = tmp_path / 'empty.pcap'
        with open(cap, 'rb') as f:
            empty.write_bytes(f.read(24))
        p = run(sensor_cmd(pki, a.url, str(empty), tmp_path / 'state'))
        assert p.returncode == 0, p.stderr
        applied = a.counters()['observations_applied']
    finally:
        a.stop()
    emitted = first['observations_emitted'] + first['negative_emitted']
    assert applied + first['spool_dropped_observations'] == emitted
    stored = sum(o['count'] > 0 for o in a.exported())
    assert 0 < stored < emitted


@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB tmpfs: the store's disk fills up under the test."""
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root')
    mnt = tmp_path / 'mnt'
    mnt.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mnt)], check=True)
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], check=False)


def test_full_disk_stops_acks_and_resumes(pki, small_fs, tmp_path):
    cap, truth = str(tmp_path / 'big.pcap'), str(tmp_path / 'big.truth')
    gencap('realistic', '--out', cap, '--truth', truth, '--seed', '51', '--packets', '60000')
    a = Aggregator(pki, small_fs / 'db').start()
    local = tmp_path / 'local.jsonl'
    s = subprocess.Popen(sensor_cmd(pki, a.url, cap, tmp_path / 'state', 's1', 'fra', '-o',
                                    str(local), '--batch-size', '500', '--drain-timeout', '600'),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    slog = []
    threading.Thread(target=lambda: [slog.append(l) for l in s.stderr], daemon=True).start()
    try:
        wait_for(lambda: any('store write failed' in l for l in a.log), 'the disk to fill up',
                 timeout=120)
        assert s.poll() is None, 'the sensor must keep its batches and wait'
        assert os.listdir(tmp_path / 'state' / 'spool')
        subprocess.run(['mount', '-o', 'remount,size=256m', str(small_fs)], check=True)
        assert wait_exit(s, 300, slog) == 0, ''.join(slog)
        assert any('store writes work again' in l for l in a.log)
    finally:
        if s.poll() is None:
            s.kill()
        a.stop()
    assert a.final_counters()['store_write_errors'] >= 1
    assert_same(a.exported(), load_jsonl(str(local)), 'the store after a full disk')
    assert_same(load_jsonl(str(local)), load_jsonl(truth), 'the sensor output')


def test_sensor_reading_a_pipe_stops_on_sigterm(pki, agg, capture, tmp_path):
    """`tcpdump -w - | almanac-sensor -r -`: the capture thread blocks in
    read() on a pipe that stays open. SIGTERM must reach that thread (not
    the uplink's or NNG's) and end the read; what was read is spooled."""
    cap, _ = capture
    for i in range(5):
        state = tmp_path / ('st%d' % i)
        p = subprocess.Popen(sensor_cmd(pki, agg.url, '-', state, 's1', 'fra',
                                        '--heartbeat-interval', '1'),
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
        with open(cap, 'rb') as f:
            p.stdin.write(f.read(100000))  # part of it; the pipe stays open
        p.stdin.flush()
        wchan = '/proc/%d/task/%d/wchan' % (p.pid, p.pid)  # the capture thread
        wait_for(lambda: p.poll() is not None or 'pipe_read' in open(wchan).read(),
                 'the sensor to wait in read() on the pipe')
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=10)
        finally:
            p.kill()
            p.stdin.close()
        err = p.stderr.read().decode()
        assert rc == 0, err
        assert 'stats (final)' in err


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to switch users')
def test_store_is_handed_to_the_user_it_runs_as(pki, capture, tmp_path):
    """Started as root with --user, the aggregator makes the store the
    user's: files LevelDB created as root must not lock the user out on
    the next start as that user."""
    import pwd
    nobody = pwd.getpwnam('nobody')
    top = tempfile.mkdtemp(dir='/tmp')  # pytest's own is closed to nobody
    os.chmod(top, 0o755)
    db = os.path.join(top, 'db')
    try:
        a = Aggregator(pki, db, '--user', 'nobody').start()
        try:
            p = run(sensor_cmd(pki, a.url, capture[0], tmp_path / 'st'))
            assert p.returncode == 0 and p.counters['batches_acked'] > 0, p.stderr
        finally:
            assert a.stop() == 0
        owners = {(os.lstat(os.path.join(d, f)).st_uid, os.path.join(d, f))
                  for d, _, files in os.walk(db) for f in files + ['.']}
        assert owners and all(uid == nobody.pw_uid for uid, _ in owners), sorted(owners)
        # Opened as nobody, the store is usable.
        p = subprocess.run(['runuser', '-u', 'nobody', '--', binary('almanac-aggregator'),
                            '--db', db, '--export', '-'], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0 and p.stdout.count('\n') > 0, p.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_both_programs_tell_systemd_when_ready(pki, capture, tmp_path):
    """Type=notify units: READY=1 once serving (aggregator: store open and
    listening; sensor: capture open), STOPPING=1 on the way out."""
    top = tempfile.mkdtemp(dir='/tmp')  # like /run/systemd/notify: open to the
    os.chmod(top, 0o755)                # sensor after it switched to nobody
    path = os.path.join(top, 'notify')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o777)
    sock.settimeout(30)
    os.environ['NOTIFY_SOCKET'] = path
    try:
        a = Aggregator(pki, tmp_path / 'db').start()
        assert sock.recv(256) == b'READY=1'
        p = run(sensor_cmd(pki, a.url, capture[0], tmp_path / 'st'))
        assert p.returncode == 0, p.stderr
        assert [sock.recv(256), sock.recv(256)] == [b'READY=1', b'STOPPING=1']
        assert a.stop() == 0
        assert sock.recv(256) == b'STOPPING=1'
    finally:
        del os.environ['NOTIFY_SOCKET']
        sock.close()
        shutil.rmtree(top, ignore_errors=True)
