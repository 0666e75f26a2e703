"""The query API's HTTP transport (aggregator/httpd.c) through
tests/tools/httpd_demo, whose handler echoes the parsed request as JSON.

Plain HTTP and HTTPS on loopback ports chosen by the OS, certificates from
deploy/almanac-pki, and clients from the standard library only.
"""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import binary
from procs import Pki, wait_for

KEY1 = 'k1-0123456789abcdef'
KEY2 = 'k2-fedcba9876543210'


class Demo:
    """httpd_demo started and waited for; stdout collected line by line."""

    def __init__(self, *args):
        self.args = list(args)
        self.lines = []
        cmd = [binary('tools/httpd_demo')] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        lines, proc = self.lines, self.proc
        threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout],
                         daemon=True).start()
        wait_for(lambda: 'ready\n' in self.lines or self.proc.poll() is not None,
                 'httpd_demo to be ready')
        if self.proc.poll() is not None:
            self.stderr = self.proc.stderr.read()
            self.port = None
            return
        self.port = int(self.lines[0].split()[1])

    def stats(self):
        n = self.lines.count('end\n')
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.lines.count('end\n') > n, 'a stats report')
        return self.last_stats()

    def last_stats(self):
        i = max(i for i, l in enumerate(self.lines) if l == 'stats\n')
        out = {}
        for l in self.lines[i + 1:]:
            if l == 'end\n':
                break
            k, v = l.split()
            out[k] = int(v)
        return out

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        self.stderr = self.proc.stderr.read()
        return self.proc.returncode


@pytest.fixture
def demo():
    started = []

    def start(*args):
        d = Demo('--listen', '127.0.0.1:0', *args)
        started.append(d)
        return d
    yield start
    for d in started:
        rc = d.stop()
        assert rc == 0 or d.port is None, d.stderr


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp('pki') / 'ca')
    p.analyst = p.issue('analyst', 'alice')
    return p


def keys_file(tmp_path, text, mode=0o600, name='keys'):
    path = tmp_path / name
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def get(conn, path, headers=None, method='GET'):
    conn.request(method, path, headers=headers or {})
    r = conn.getresponse()
    return r, r.read()


def raw(port, data, timeout=5.0, tls=None):
    """Sends data on a fresh connection; returns all bytes until EOF."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    if tls:
        s = tls.wrap_socket(s, server_hostname='localhost')
    out = b''
    try:
        s.sendall(data)
        if not tls:
            s.shutdown(socket.SHUT_WR)  # an incomplete head ends here
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError:  # reset, or closed before the shutdown
        pass
    finally:
        s.close()
    return out


def read_response(f):
    """One response from a socket file: (status, headers, body)."""
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        l = f.readline()
        if l in (b'\r\n', b''):
            break
        k, v = l.decode().split(':', 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, f.read(int(headers.get('content-length', 0)))


def test_keep_alive_sequence_decodes_path_and_query(demo):
    d = demo()
    conn = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5)
    sock = None
    for i in range(50):
        r, body = get(conn, '/echo/a%%2Fb/c+d/%%C3%%A9/%d?a=1&a=2&q=x+y%%2Bz&&flag' % i,
                      {'X-Test': 'v%d' % i})
        assert r.status == 200 and r.getheader('Content-Type') == 'application/json'
        if sock is None:
            sock = conn.sock
        assert conn.sock is sock, 'the connection was not kept alive'
        e = json.loads(body)
        assert e['seg'] == ['echo', 'a/b', 'c+d', '\u00c3\u00a9', str(i)]
        assert e['param'] == [['a', '1'], ['a', '2'], ['q', 'x y+z'], ['flag', '']]
        assert e['first_a'] == '1' and e['x_test'] == 'v%d' % i
        assert e['path'] == '/echo/a%%2Fb/c+d/%%C3%%A9/%d' % i
        assert e['tls'] is False and e['remote'].startswith('127.0.0.1:')
    conn.close()


def test_pipelined_requests_answered_in_order(demo):
    d = demo()
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    s.sendall(b''.join(b'GET /echo/%d HTTP/1.1\r\nHost: x\r\n\r\n' % i for i in range(20)))
    f = s.makefile('rb')
    for i in range(20):
        status, _, body = read_response(f)
        assert status == 200 and json.loads(body)['seg'] == ['echo', str(i)]
    s.close()


def test_each_response_is_complete_with_length_and_type(demo):
    d = demo()
    conn = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5)
    r, body = get(conn, '/cursor')
    assert r.getheader('X-Almanac-Cursor') == 'abc123'
    assert r.getheader('X-Almanac-Result') == 'limited'
    assert r.getheader('Content-Length') == str(len(body))
    r, body = get(conn, '/dnsdb/v2/ping')
    assert r.getheader('Content-Type') == 'application/x-ndjson'
    assert json.loads(body) == {'ping': 'ok'}
    for n in (0, 1, 65536, 65537, 3000000):
        r, body = get(conn, '/big/%d' % n)
        assert r.status == 200 and len(body) == n
        assert body == bytes((97 + i % 26) for i in range(n))
    r, body = get(conn, '/echo/x', method='HEAD')
    assert r.status == 200 and body == b''
    n = int(r.getheader('Content-Length'))
    r, body = get(conn, '/echo/x')
    assert len(body) > 0
    assert abs(len(body) - n) < 8  # the remote port may differ by digits
    r, body = get(conn, '/big/100000', method='HEAD')
    assert r.getheader('Content-Length') == '100000' and body == b''
    r, body = get(conn, '/nope')
    assert r.status == 404 and json.loads(body) == {'error': 'no such path'}
    r, body = get(conn, '/bad-status')
    assert r.status == 500 and 'error' in json.loads(body)
    r, body = get(conn, '/ping')
    assert r.status == 200 and body == b'ok'
    conn.close()


@pytest.mark.parametrize('target,why', [
    ('/echo/a%zz', 'percent-encoding'),
    ('/echo/a%00b', 'percent-encoding'),
    ('/echo/a%4', 'percent-encoding'),
    ('/echo?x=%G0', 'percent-encoding'),
    ('/echo?' + '&'.join('k%d=v' % i for i in range(33)), 'too many query parameters'),
    ('/echo' + '/s' * 16, 'too many path segments'),
    ('/echo/' + 'a' * 8200, 'longer than 8192'),
    ('/echo/\x7fx', 'control'),
    ('nopath', 'not a path'),
], ids=['bad-hex', 'nul', 'truncated', 'bad-hex-query', 'params', 'segments', 'long',
        'control', 'not-path'])
def test_malformed_targets_get_400_before_the_handler(demo, target, why):
    d = demo()
    for prefix, key in (('', 'error'), ('/dnsdb/v2', 'msg')):
        t = prefix + target if target.startswith('/') else target
        out = raw(d.port, b'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
                  % t.encode('latin-1'))
        head, _, body = out.partition(b'\r\n\r\n')
        assert head.startswith(b'HTTP/1.1 400 '), out[:200]
        e = json.loads(body)
        assert why in e[key if t.startswith('/dnsdb/') else 'error'], e
        if t.startswith('/dnsdb/'):
            assert e['cond'] == 'failed'
    assert d.stats()['bad_requests'] >= 2


def test_methods_bodies_and_versions(demo):
    d = demo()
    out = raw(d.port, b'POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc')
    assert out.startswith(b'HTTP/1.1 405 ') and b'Allow: GET, HEAD\r\n' in out
    assert b'Connection: close\r\n' in out
    for m in (b'PUT', b'DELETE', b'OPTIONS', b'BREW'):
        assert raw(d.port, m + b' /dnsdb/v2/ping HTTP/1.1\r\n\r\n').startswith(
            b'HTTP/1.1 405 ')
    out = raw(d.port, b'GET /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello')
    assert out.startswith(b'HTTP/1.1 400 ') and b'bodies' in out
    out = raw(d.port, b'GET /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
    assert out.startswith(b'HTTP/1.1 400 ')
    assert raw(d.port, b'GET /ping HTTP/2.0\r\n\r\n').startswith(b'HTTP/1.1 505 ')
    # HTTP/1.0 closes unless asked; Content-Length: 0 is no body.
    out = raw(d.port, b'GET /ping HTTP/1.0\r\nContent-Length: 0\r\n\r\n')
    assert out.startswith(b'HTTP/1.1 200 ') and out.endswith(b'ok')
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    f = s.makefile('rb')
    for _ in range(3):
        s.sendall(b'GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
        status, h, body = read_response(f)
        assert status == 200 and h['connection'] == 'keep-alive' and body == b'ok'
    s.close()


def test_api_keys_required_and_reloaded(demo, tmp_path):
    path = keys_file(tmp_path, '# analysts\n%s alice\n' % KEY1)
    d = demo('--api-keys', path)
    conn = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5)
    r, body = get(conn, '/echo/x')
    assert r.status == 401 and json.loads(body) == {'error': 'missing X-API-Key header'}
    r, body = get(conn, '/echo/x', {'X-API-Key': KEY2})
    assert r.status == 401 and json.loads(body) == {'error': 'unknown API key'}
    r, body = get(conn, '/dnsdb/v2/ping', {'X-API-Key': 'nope'})
    assert r.status == 401
    assert json.loads(body) == {'cond': 'failed', 'msg': 'unknown API key'}
    # Even unknown paths need a key: nothing is told without one.
    r, body = get(conn, '/nope')
    assert r.status == 401
    r, body = get(conn, '/echo/x', {'X-API-Key': KEY1})
    assert r.status == 200 and json.loads(body)['key_name'] == 'alice'
    keys_file(tmp_path, '%s bob\n' % KEY2)
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: 'reloaded\n' in d.lines, 'the keys to be reloaded')
    r, body = get(conn, '/echo/x', {'X-API-Key': KEY1})
    assert r.status == 401
    r, body = get(conn, '/echo/x', {'X-API-Key': KEY2})
    assert r.status == 200 and json.loads(body)['key_name'] == 'bob'
    # A broken file keeps the keys in force.
    keys_file(tmp_path, 'short\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: any(l.startswith('reload failed') for l in d.lines), 'a failed reload')
    r, body = get(conn, '/echo/x', {'X-API-Key': KEY2})
    assert r.status == 200
    conn.close()
    assert d.stats()['unauthorized'] == 5


def test_keys_file_must_be_private(demo, tmp_path):
    d = demo('--api-keys', keys_file(tmp_path, KEY1 + '\n', mode=0o644))
    assert d.port is None and 'chmod 600' in d.stderr


def test_refuses_non_loopback_without_keys(tmp_path):
    for listen in ('0.0.0.0:0', ':0', '[::]:0'):
        p = subprocess.run([binary('tools/httpd_demo'), '--listen', listen],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1
        assert 'refusing to serve queries on %s without --api-keys' % listen in p.stderr
    d = Demo('--listen', '0.0.0.0:0', '--api-keys', keys_file(tmp_path, KEY1 + '\n'))
    try:
        conn = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5)
        assert get(conn, '/ping', {'X-API-Key': KEY1})[0].status == 200
    finally:
        assert d.stop() == 0


def tls_client(pki, cert=None):
    ctx = ssl.create_default_context(cafile=pki.ca)
    if cert:
        ctx.load_cert_chain(*cert)
    return ctx


def test_https_keep_alive(demo, pki):
    crt, key = pki.agg
    d = demo('--cert', crt, '--key', key)
    conn = http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                       context=tls_client(pki))
    for i in range(20):
        r, body = get(conn, '/echo/%d?x=a+b' % i)
        e = json.loads(body)
        assert r.status == 200 and e['tls'] is True and e['tls_verified'] is False
        assert e['param'] == [['x', 'a b']]
    r, body = get(conn, '/big/3000000')
    assert len(body) == 3000000 and body[:3] == b'abc'
    r, body = get(conn, '/ping')
    assert body == b'ok'
    conn.close()
    # Plain HTTP to the HTTPS port: no answer, the server carries on.
    assert not raw(d.port, b'GET /ping HTTP/1.1\r\n\r\n').startswith(b'HTTP')
    assert get(http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                           context=tls_client(pki)), '/ping')[1] == b'ok'


def test_tls_handshake_must_finish_within_the_idle_timeout(demo, pki):
    crt, key = pki.agg
    d = demo('--cert', crt, '--key', key, '--idle-ms', '400')
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    t = time.monotonic()
    assert s.recv(100) == b''
    assert time.monotonic() - t < 3
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    s.sendall(b'\x16\x03\x01\x00\xa5\x01\x00')  # a ClientHello cut short
    assert s.recv(100) == b''
    # Over TLS the peer may see the close a moment before the count moves.
    wait_for(lambda: d.stats()['conns_timed_out'] >= 2, 'two timed-out connections')


def test_client_certificates_required_with_ca(demo, pki, tmp_path_factory):
    crt, key = pki.agg
    d = demo('--cert', crt, '--key', key, '--ca', pki.ca, '--crl', pki.crl)
    conn = http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                       context=tls_client(pki, pki.analyst))
    r, body = get(conn, '/echo/x')
    assert r.status == 200 and json.loads(body)['tls_verified'] is True
    conn.close()
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
        get(http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                        context=tls_client(pki)), '/echo/x')
    other = Pki(tmp_path_factory.mktemp('other') / 'ca')
    stranger = other.issue('analyst', 'mallory')
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
        get(http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                        context=tls_client(pki, stranger)), '/echo/x')
    r, body = get(http.client.HTTPSConnection('localhost', d.port, timeout=5,
                                              context=tls_client(pki, pki.analyst)), '/ping')
    assert body == b'ok'


def test_garbage_bytes_never_crash_it(demo, pki):
    crt, key = pki.agg
    plain = demo()
    tls = demo('--cert', crt, '--key', key)
    rnd = os.urandom(200000)
    junk = [rnd, rnd[:10], b'\x00' * 5000 + b'\r\n\r\n', b'\r\n' * 10000,
            b'GET / HTTP/1.1\r\n' + b'X: ' + b'y' * 20000 + b'\r\n\r\n',
            b'GET /' + bytes(range(256)) + b' HTTP/1.1\r\n\r\n',
            b'GET / HTTP/1.1\r\n' + b''.join(b'H%d: v\r\n' % i for i in range(100)) + b'\r\n',
            b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + rnd[:300],
            b'GET /ping HTTP/1.1\r\n\r\n' + rnd[:5000]]
    for data in junk:
        out = raw(plain.port, data)
        assert out == b'' or out.startswith(b'HTTP/1.1 4') or out.startswith(b'HTTP/1.1 200')
        raw(tls.port, data)
    for d in (plain, tls):
        assert d.proc.poll() is None
    conn = http.client.HTTPConnection('127.0.0.1', plain.port, timeout=5)
    assert get(conn, '/ping')[1] == b'ok'
    conn = http.client.HTTPSConnection('localhost', tls.port, timeout=5,
                                       context=tls_client(pki))
    assert get(conn, '/ping')[1] == b'ok'


def test_connections_beyond_the_cap_are_refused(demo):
    d = demo('--max-conns', '8')
    held = []
    for _ in range(8):
        s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
        s.sendall(b'GET /ping HTTP/1.1\r\n\r\n')
        assert s.recv(1000).endswith(b'ok')
        held.append(s)
    refused = 0
    for _ in range(40):
        out = raw(d.port, b'GET /ping HTTP/1.1\r\n\r\n')
        if out.startswith(b'HTTP/1.1 503 '):
            assert b'too many connections' in out
        refused += not out.endswith(b'ok')
    assert refused == 40
    assert d.stats()['conns_refused'] >= 40
    for s in held:
        s.close()
    wait_for(lambda: d.stats()['conns_active'] == 0, 'the held connections to close')
    conn = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5)
    assert get(conn, '/ping')[1] == b'ok'


def test_idle_and_slow_clients_are_cut_off(demo):
    d = demo('--idle-ms', '400')
    # Idle after a response.
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    s.sendall(b'GET /ping HTTP/1.1\r\n\r\n')
    assert s.recv(1000).endswith(b'ok')
    t = time.monotonic()
    assert s.recv(1000) == b''
    assert 0.3 < time.monotonic() - t < 3
    # Never a byte.
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    t = time.monotonic()
    assert s.recv(1000) == b''
    assert time.monotonic() - t < 3
    # A byte every 100 ms: the head must be complete within the timeout.
    s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    t = time.monotonic()
    try:
        for c in b'GET /ping HTTP/1.1\r\nX-Slow: ' + b'a' * 100:
            s.send(bytes([c]))
            time.sleep(0.1)
            if time.monotonic() - t > 4:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert time.monotonic() - t < 4
    wait_for(lambda: d.stats()['conns_timed_out'] >= 3, 'three timed-out connections')


def test_full_queue_answers_503(demo):
    d = demo('--workers', '1', '--queue', '1')
    a = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    a.sendall(b'GET /sleep/1500 HTTP/1.1\r\n\r\n')
    time.sleep(0.2)
    b = socket.create_connection(('127.0.0.1', d.port), timeout=5)
    b.sendall(b'GET /sleep/10 HTTP/1.1\r\n\r\n')
    time.sleep(0.2)
    out = raw(d.port, b'GET /dnsdb/v2/ping HTTP/1.1\r\nConnection: close\r\n\r\n')
    assert out.startswith(b'HTTP/1.1 503 ')
    assert json.loads(out.partition(b'\r\n\r\n')[2])['cond'] == 'failed'
    assert a.recv(1000).startswith(b'HTTP/1.1 200 ')
    assert b.recv(1000).startswith(b'HTTP/1.1 200 ')
    assert d.stats()['busy'] == 1


def test_stop_is_bounded_with_requests_in_flight(demo):
    d = demo('--stop-ms', '1000')
    socks = []
    for path in (b'/sleep/300', b'/sleep/5000', b'/pi'):
        s = socket.create_connection(('127.0.0.1', d.port), timeout=5)
        s.sendall(b'GET ' + path + (b' HTTP/1.1\r\n\r\n' if path != b'/pi' else b''))
        socks.append(s)
    time.sleep(0.2)
    t = time.monotonic()
    assert d.stop(timeout=10) == 0
    assert time.monotonic() - t < 4
    assert 'leaving it behind' in d.stderr  # the 5 s handler
