"""almanac, the analyst's command line, against a fake aggregator API.

FakeApi is a test double: a small http.server that answers a few canned
queries the way docs/api.md says the aggregator's native API does (COF
JSON lines, X-Almanac-Result, X-Almanac-Cursor paging, {"error":...}
bodies, X-API-Key, /api/v1/sites), over HTTP or HTTPS with certificates
from deploy/almanac-pki. The aggregator's real API is being written at the
same time; end-to-end tests against it come separately. What these tests
prove is the client's side of the contract: the requests it sends, how it
pages, how it prints, its exit codes and its error messages.
"""
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import binary
from procs import Pki

COF = [
    {"rrname": "www.example.com", "rrtype": "A", "rdata": "192.0.2.1", "count": 12,
     "time_first": 1700000000, "time_last": 1700090000,
     "sites": {"fra": {"count": 10, "time_first": 1700000000, "time_last": 1700090000},
               "ams": {"count": 2, "time_first": 1700003600, "time_last": 1700007200}}},
    {"rrname": "www.example.com", "rrtype": "TXT", "rdata": "\"a, \\\"quoted\\\" text\"",
     "count": 3, "time_first": 1700000100, "time_last": 1700000200,
     "sites": {"fra": {"count": 3, "time_first": 1700000100, "time_last": 1700000200}}},
]
PAGES = {None: ([{"rrname": "p%d.example" % i, "rrtype": "A", "rdata": "192.0.2.%d" % i,
                  "count": 1, "time_first": 1700000000, "time_last": 1700000000}
                 for i in (1, 2)], "limited", "c1"),
         "c1": ([{"rrname": "p%d.example" % i, "rrtype": "A", "rdata": "192.0.2.%d" % i,
                  "count": 1, "time_first": 1700000000, "time_last": 1700000000}
                 for i in (3, 4)], "limited", "c/2+"),
         "c/2+": ([{"rrname": "p5.example", "rrtype": "A", "rdata": "192.0.2.5", "count": 1,
                    "time_first": 1700000000, "time_last": 1700000000}], "complete", None)}
SITES = {"generated": 1700000100, "sites": [
    {"site": "fra", "status": "ok", "reason": "", "last_contact": 1700000095,
     "packets_per_s": 1520.5, "drop_pct": 0.0, "spool_bytes": 0, "spool_batches": 0,
     "observations_per_s": 310.25,
     "sensors": [{"sensor": "s1", "status": "ok", "reason": "", "last_contact": 1700000095,
                  "packets_per_s": 1520.5, "drop_pct": 0.0, "spool_bytes": 0,
                  "spool_batches": 0, "observations_per_s": 310.25}]},
    {"site": "ams", "status": "ok", "reason": "", "last_contact": 1700000090,
     "packets_per_s": 80, "drop_pct": 0.5, "spool_bytes": 3145728, "spool_batches": 3,
     "observations_per_s": 12, "sensors": []}]}


def lines(objs):
    return ''.join(json.dumps(o, separators=(',', ':')) + '\n' for o in objs)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype='application/x-ndjson', headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, text):
        self.send(status, json.dumps({"error": text}) + '\n', 'application/json')

    def do_GET(self):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        srv.requests.append({'path': url.path, 'raw': self.path, 'query': query,
                             'headers': dict(self.headers)})
        if srv.api_key and self.headers.get('X-API-Key') != srv.api_key:
            return self.error(401, 'missing or unknown API key')
        parts = [urllib.parse.unquote(p) for p in url.path.split('/')]
        if parts[:3] != ['', 'api', 'v1'] or len(parts) < 4:
            return self.error(404, 'unknown path')
        route = getattr(self, 'route_' + parts[3], None)
        if not route:
            return self.error(404, 'unknown path')
        route(parts[4:], query)

    def route_sites(self, rest, query):
        self.send(200, json.dumps(self.server.sites) + '\n', 'application/json')

    def route_summarize(self, rest, query):
        if rest[-1] == 'nothing.example':
            return self.send(200, '{"count":0,"num_results":0}\n', 'application/json')
        self.send(200, '{"count":15,"num_results":2,"time_first":1700000000,'
                  '"time_last":1700090000}\n', 'application/json')

    def route_rdata(self, rest, query):
        if rest[0] == 'ip' and rest[1:] == ['192.0.2.0', '24']:
            return self.send(200, lines(COF[:1]), headers={'X-Almanac-Result': 'complete'})
        self.send(200, '', headers={'X-Almanac-Result': 'complete'})

    def route_nxdomain(self, rest, query):
        self.send(200, lines([{"rrname": rest[0], "rrtype": "A", "rcode": "NXDOMAIN",
                               "count": 4, "time_first": 1700000000,
                               "time_last": 1700000500}]))

    def route_rrset(self, rest, query):
        name = rest[0]
        special = getattr(self, 'rrset_' + name.split('.')[0], None)
        if special:
            return special(query)
        if name == 'www.example.com':
            objs = [o for o in COF if len(rest) < 2 or o['rrtype'] == rest[1]]
            return self.send(200, lines(objs), headers={'X-Almanac-Result': 'complete'})
        if name.startswith('bad'):
            return self.error(400, 'malformed name: "%s"' % name)
        if name == 'none.example':
            return self.send(200, '', headers={'X-Almanac-Result': 'complete'})
        # Anything else: one line echoing the decoded name.
        self.send(200, lines([{"rrname": name, "rrtype": "A", "rdata": "192.0.2.9",
                               "count": 1, "time_first": 1700000000,
                               "time_last": 1700000000}]))

    def rrset_paged(self, query):
        cur = query.get('cursor', [None])[0]
        if cur not in PAGES:
            return self.error(400, 'bad cursor')
        objs, result, nxt = PAGES[cur]
        headers = {'X-Almanac-Result': result}
        if nxt:
            headers['X-Almanac-Cursor'] = nxt
        self.send(200, lines(objs), headers=headers)

    def rrset_loop(self, query):
        self.send(200, lines(COF[:1]), headers={'X-Almanac-Result': 'limited',
                                                'X-Almanac-Cursor': 'same'})

    def rrset_limited(self, query):
        self.send(200, lines(COF[:1]), headers={'X-Almanac-Result': 'limited',
                                                'X-Almanac-Cursor': 'more'})

    def rrset_timeout(self, query):
        self.send(200, lines(COF[:1]), headers={'X-Almanac-Result': 'timeout'})

    def rrset_html(self, query):
        self.send(200, '<html><body>status page</body></html>\n', 'text/html')

    def rrset_chunked(self, query):
        body = lines(COF).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/x-ndjson')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        for i in range(0, len(body), 7):
            piece = body[i:i + 7]
            self.wfile.write(b'%x;ext=1\r\n%s\r\n' % (len(piece), piece))
        self.wfile.write(b'0\r\nX-Trailer: yes\r\n\r\n')

    def rrset_close(self, query):
        self.close_connection = True
        self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n'
                         b'Connection: close\r\n\r\n' + lines(COF).encode())

    def rrset_big(self, query):
        line = lines(COF[:1]).encode()
        self.send(200, line * (2 * 1024 * 1024 // len(line) + 1))

    def rrset_bigchunked(self, query):
        line = lines(COF[:1]).encode()
        self.send_response(200)
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        try:
            for _ in range(2 * 1024 * 1024 // len(line) + 1):
                self.wfile.write(b'%x\r\n%s\r\n' % (len(line), line))
            self.wfile.write(b'0\r\n\r\n')
        except OSError:
            pass  # the client hung up at its cap, as it should

    def rrset_slow(self, query):
        time.sleep(2.5)
        self.send(200, lines(COF[:1]))

    def rrset_odd(self, query):
        # Control characters from hostile DNS data must not reach a terminal.
        self.send(200, lines([{"rrname": "odd.example", "rrtype": "TXT",
                               "rdata": "\"\x1b[31mred\x07\u009b\"", "count": 1,
                               "time_first": 1700000000, "time_last": 1700000000}]))


class FakeApi:
    def __init__(self, tls=None):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.httpd.api_key = None
        self.httpd.sites = json.loads(json.dumps(SITES))
        scheme = 'http'
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            scheme = 'https'
        self.port = self.httpd.server_address[1]
        self.url = '%s://%s:%d' % (scheme, 'localhost' if tls else '127.0.0.1', self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self):
        return self.httpd.requests

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def api():
    a = FakeApi()
    yield a
    a.close()


def almanac(*args, server=None, env=None, timeout=60):
    e = dict(os.environ)
    e.pop('ALMANAC_SERVER', None)
    e.pop('ALMANAC_API_KEY', None)
    e.update(env or {})
    cmd = [binary('almanac')] + (['--server', server] if server else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)


def ok(p, code=0):
    assert p.returncode == code, 'exit %d\nstdout:\n%s\nstderr:\n%s' % (p.returncode, p.stdout,
                                                                        p.stderr)
    return p


# ---- requests ---------------------------------------------------------------

def test_lookup_prints_json_lines_as_received_when_not_a_terminal(api):
    p = ok(almanac('rrset', 'www.example.com', server=api.url))
    assert p.stdout == lines(COF)
    assert api.requests[0]['path'] == '/api/v1/rrset/www.example.com'
    assert api.requests[0]['query'] == {}
    headers = api.requests[0]['headers']
    assert headers['Host'] == '127.0.0.1:%d' % api.port
    assert 'application/x-ndjson' in headers['Accept']
    assert 'X-API-Key' not in headers


def test_output_that_cannot_be_written_is_an_error(api):
    with open('/dev/full', 'w') as full:
        p = subprocess.run([binary('almanac'), '--server', api.url, 'rrset', 'www.example.com'],
                           stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 2 and 'cannot write the output' in p.stderr


def test_type_argument_option_and_case(api):
    ok(almanac('rrset', 'www.example.com', 'txt', server=api.url))
    ok(almanac('--type', 'a', 'rrset', 'www.example.com', server=api.url))
    assert [r['path'] for r in api.requests] == ['/api/v1/rrset/www.example.com/TXT',
                                                  '/api/v1/rrset/www.example.com/A']
    p = almanac('rrset', 'www.example.com', 'A', '--type', 'MX', server=api.url)
    assert p.returncode == 2 and 'two record types' in p.stderr


def test_each_lookup_path(api):
    ok(almanac('rdata', 'name', 'ns1.example.net.', 'NS', server=api.url), 1)
    ok(almanac('rdata', 'ip', '192.0.2.0/24', server=api.url))
    ok(almanac('rdata', 'ip', '2001:db8::1-2001:db8::ff', server=api.url), 1)
    ok(almanac('nxdomain', 'nx.example.com', 'AAAA', server=api.url))
    ok(almanac('summarize', 'rdata', 'ip', '192.0.2.1', server=api.url))
    ok(almanac('summarize', 'nxdomain', 'nx.example.com', server=api.url))
    assert [r['raw'] for r in api.requests] == [
        '/api/v1/rdata/name/ns1.example.net./NS',
        '/api/v1/rdata/ip/192.0.2.0/24',
        '/api/v1/rdata/ip/2001:db8::1-2001:db8::ff',
        '/api/v1/nxdomain/nx.example.com/AAAA',
        '/api/v1/summarize/rdata/ip/192.0.2.1',
        '/api/v1/summarize/nxdomain/nx.example.com']


def test_names_are_percent_encoded_and_wildcards_pass(api):
    p = ok(almanac('rrset', 'a\\032b/c?d%e.example.', server=api.url))
    ok(almanac('rrset', '*.example.com', server=api.url))
    ok(almanac('rrset', 'www.example.*', '--site', 'fra ams&x=1', server=api.url))
    raws = [r['raw'] for r in api.requests]
    assert raws[0] == '/api/v1/rrset/a%5C032b%2Fc%3Fd%25e.example.'
    assert json.loads(p.stdout)['rrname'] == 'a\\032b/c?d%e.example.'
    assert raws[1] == '/api/v1/rrset/*.example.com'
    assert raws[2] == '/api/v1/rrset/www.example.*?site=fra%20ams%26x%3D1'
    assert api.requests[2]['query'] == {'site': ['fra ams&x=1']}


def test_time_options_map_to_overlap_or_containment(api):
    ok(almanac('rrset', 'x.example', '--after', '2024-01-01', '--before', '1700000000',
               server=api.url))
    ok(almanac('rrset', 'x.example', '--strict', '--after', '2024-01-01T12:00:00Z',
               '--before', '2024-01-02 00:00:00', server=api.url))
    now = time.time()
    ok(almanac('rrset', 'x.example', '--after', '7d', '--limit', '5', '--offset', '2',
               '--no-federate', server=api.url))
    q = [r['query'] for r in api.requests]
    assert q[0] == {'time_last_after': ['1704067200'], 'time_first_before': ['1700000000']}
    assert q[1] == {'time_first_after': ['1704110400'], 'time_last_before': ['1704153600']}
    assert abs(int(q[2]['time_last_after'][0]) - (now - 7 * 86400)) < 60
    assert q[2]['limit'] == ['5'] and q[2]['offset'] == ['2'] and q[2]['federate'] == ['0']
    p = almanac('rrset', 'x.example', '--after', 'last tuesday', server=api.url)
    assert p.returncode == 2 and "--after: 'last tuesday' is not a time" in p.stderr


def test_usage_errors_exit_2_without_contacting_the_server(api):
    for args, msg in ((['frobnicate'], "unknown command 'frobnicate'"),
                      (['rrset'], 'give the name'),
                      (['rdata', 'bogus', 'x'], 'rdata name NAME'),
                      (['rdata', 'ip', '300.1.2.3'], 'is not ADDR'),
                      (['rdata', 'ip', '192.0.2.0/24', '--type', 'A'], 'no record type'),
                      (['rrset', 'x', 'A', 'extra'], "unexpected argument 'extra'"),
                      (['summarize', 'rrset', 'x', '--all'], '--all does not apply'),
                      (['sites', '--after', '1d'], '--after does not apply'),
                      (['rrset', 'x', '--json', '--csv'], 'one of --json'),
                      (['rrset', 'x', '--cert', 'c.pem'], '--cert FILE and --key FILE'),
                      (['rrset', 'x', '--bogus'], 'unknown option --bogus')):
        p = almanac(*args, server=api.url)
        assert p.returncode == 2 and msg in p.stderr, (args, p.stderr)
    assert api.requests == []


def test_help_version_and_check():
    p = ok(almanac('-h'))
    for word in ('rrset NAME', 'rdata ip', 'summarize', 'sites', '--after', '--strict',
                 '--cacert', '--all', 'ALMANAC_API_KEY'):
        assert word in p.stdout
    assert ok(almanac('--version')).stdout.startswith('almanac ')
    p = ok(almanac('-n', server='http://127.0.0.1:1'))
    assert 'configuration ok' in p.stderr
    p = almanac('-n', server='https://127.0.0.1:1')
    assert p.returncode == 2 and '--server-name' in p.stderr


def test_config_file_environment_and_command_line_precedence(api, tmp_path):
    conf = tmp_path / 'almanac.conf'
    conf.write_text('[server]\nserver = %s\n' % api.url)
    ok(almanac('-c', str(conf), 'rrset', 'www.example.com'))
    assert len(api.requests) == 1
    # The file beats $ALMANAC_SERVER, the command line beats the file.
    ok(almanac('-c', str(conf), 'rrset', 'www.example.com',
               env={'ALMANAC_SERVER': 'http://127.0.0.1:1'}))
    assert len(api.requests) == 2
    p = almanac('-c', str(conf), '--server', 'http://127.0.0.1:1', 'rrset', 'x')
    assert p.returncode == 2 and 'connection refused' in p.stderr
    ok(almanac('rrset', 'www.example.com', env={'ALMANAC_SERVER': api.url}))
    assert len(api.requests) == 3
    conf.write_text('[server]\nsrever = x\n')
    p = almanac('-c', str(conf), 'sites')
    assert p.returncode == 2 and "almanac.conf:2: unknown key 'srever'" in p.stderr


# ---- output -----------------------------------------------------------------

def test_table_output_is_aligned_with_utc_times(api):
    p = ok(almanac('--table', 'rrset', 'www.example.com', server=api.url))
    out = p.stdout.splitlines()
    assert out[0].split() == ['RRNAME', 'TYPE', 'RDATA', 'COUNT', 'FIRST', 'SEEN', 'LAST',
                              'SEEN', 'SITES']
    assert '2023-11-14 22:13:20' in out[1] and '2023-11-15 23:13:20' in out[1]
    assert out[1].endswith('fra:10 ams:2')
    assert out[1].index('192.0.2.1') == out[2].index('"a, \\"quoted\\" text"')
    assert out[1].index('2023-11-14') == out[2].index('2023-11-14')
    assert not any(l.endswith(' ') for l in out)


def test_csv_output_quotes_and_has_a_header(api):
    p = ok(almanac('--csv', 'rrset', 'www.example.com', server=api.url))
    assert p.stdout.split('\n') == [
        'rrname,rrtype,rdata,count,time_first,time_last,sites',
        'www.example.com,A,192.0.2.1,12,2023-11-14 22:13:20,2023-11-15 23:13:20,fra:10 ams:2',
        'www.example.com,TXT,"""a, \\""quoted\\"" text""",3,2023-11-14 22:15:00,'
        '2023-11-14 22:16:40,fra:3',
        '']
    p = almanac('--csv', 'rrset', 'none.example', server=api.url)
    assert p.returncode == 1
    assert p.stdout == 'rrname,rrtype,rdata,count,time_first,time_last,sites\n'


def test_nxdomain_rows_have_no_rdata(api):
    p = ok(almanac('--csv', 'nxdomain', 'nx.example.com', server=api.url))
    assert p.stdout.splitlines()[1] == ('nx.example.com,A,,4,2023-11-14 22:13:20,'
                                        '2023-11-14 22:21:40,')


def test_control_characters_never_reach_the_terminal(api):
    for fmt in ('--table', '--csv'):
        p = ok(almanac(fmt, 'rrset', 'odd.example', server=api.url))
        assert '\x1b' not in p.stdout and '\x07' not in p.stdout and '\u009b' not in p.stdout
        assert '\\027[31mred\\007\\194\\155' in p.stdout
    p = ok(almanac('--json', 'rrset', 'odd.example', server=api.url))
    assert '\\u001b' in p.stdout and '\x1b' not in p.stdout


def test_summarize_prints_count_results_first_and_last(api):
    p = ok(almanac('--table', 'summarize', 'rrset', 'www.example.com', server=api.url))
    assert p.stdout.splitlines() == ['count        15', 'num_results  2',
                                     'first seen   2023-11-14 22:13:20',
                                     'last seen    2023-11-15 23:13:20']
    assert api.requests[0]['path'] == '/api/v1/summarize/rrset/www.example.com'
    p = ok(almanac('--csv', 'summarize', 'rrset', 'www.example.com', server=api.url))
    assert p.stdout.split('\n')[1] == '15,2,2023-11-14 22:13:20,2023-11-15 23:13:20'
    p = ok(almanac('summarize', 'rrset', 'nothing.example', server=api.url), 1)
    assert json.loads(p.stdout)['num_results'] == 0


def test_options_may_follow_the_command(api):
    p = ok(almanac('rrset', 'www.example.com', 'A', '--csv', '--limit=1', server=api.url))
    assert p.stdout.startswith('rrname,')
    assert api.requests[0]['query'] == {'limit': ['1']}
    ok(almanac('--', 'rrset', '-odd-.example', server=api.url))
    assert api.requests[1]['path'] == '/api/v1/rrset/-odd-.example'


# ---- paging and results -------------------------------------------------------

def test_all_walks_every_page_with_the_cursor(api):
    p = ok(almanac('--all', '--limit', '2', 'rrset', 'paged.example', server=api.url))
    assert [json.loads(l)['rrname'] for l in p.stdout.splitlines()] == [
        'p1.example', 'p2.example', 'p3.example', 'p4.example', 'p5.example']
    assert [r['query'].get('cursor') for r in api.requests] == [None, ['c1'], ['c/2+']]
    assert api.requests[2]['raw'].endswith('cursor=c%2F2%2B')
    assert all(r['query']['limit'] == ['2'] for r in api.requests)
    assert p.stderr == ''


def test_all_with_a_table_aligns_across_pages(api):
    p = ok(almanac('--all', '--table', 'rrset', 'paged.example', server=api.url))
    out = p.stdout.splitlines()
    assert len(out) == 6 and out[0].startswith('RRNAME')


def test_limited_answer_without_all_says_so(api):
    p = ok(almanac('rrset', 'limited.example', server=api.url))
    assert len(p.stdout.splitlines()) == 1
    assert 'more results: use --all or --limit' in p.stderr
    assert len(api.requests) == 1


def test_timeout_answer_says_results_are_incomplete(api):
    p = ok(almanac('rrset', 'timeout.example', server=api.url))
    assert 'time budget ran out' in p.stderr


def test_a_repeated_cursor_stops_the_walk(api):
    p = almanac('--all', 'rrset', 'loop.example', server=api.url)
    assert p.returncode == 2 and 'same cursor twice' in p.stderr
    assert len(api.requests) == 2


def test_no_results_exit_1(api):
    p = almanac('rrset', 'none.example', server=api.url)
    assert p.returncode == 1 and p.stdout == ''
    p = almanac('--table', 'rrset', 'none.example', server=api.url)
    assert p.returncode == 1 and 'no results' in p.stderr


# ---- errors -----------------------------------------------------------------

def test_server_error_prints_status_and_message(api):
    p = almanac('rrset', 'bad..name', server=api.url)
    assert p.returncode == 2
    assert 'server: 400 Bad Request: malformed name: "bad..name"' in p.stderr


def test_unknown_path_404(api):
    p = almanac('rrset', 'x', server=api.url + '/prefix')
    assert p.returncode == 2 and '404' in p.stderr and 'unknown path' in p.stderr
    assert api.requests[0]['path'] == '/prefix/api/v1/rrset/x'


def test_api_key_is_sent_and_401_explained(api, tmp_path):
    api.httpd.api_key = 's3cret-key'
    p = almanac('rrset', 'www.example.com', server=api.url)
    assert p.returncode == 2
    assert '401' in p.stderr and 'missing or unknown API key' in p.stderr
    assert 'ALMANAC_API_KEY' in p.stderr
    assert 'X-API-Key' not in api.requests[0]['headers']
    p = almanac('rrset', 'www.example.com', server=api.url, env={'ALMANAC_API_KEY': 'wrong'})
    assert p.returncode == 2 and 'the API key was refused' in p.stderr
    ok(almanac('rrset', 'www.example.com', server=api.url,
               env={'ALMANAC_API_KEY': 's3cret-key'}))
    assert api.requests[-1]['headers']['X-API-Key'] == 's3cret-key'
    keyfile = tmp_path / 'key'
    keyfile.write_text('s3cret-key\n')
    keyfile.chmod(0o600)
    ok(almanac('--api-key-file', str(keyfile), 'rrset', 'www.example.com', server=api.url,
               env={'ALMANAC_API_KEY': 'wrong'}))
    keyfile.chmod(0o644)
    p = almanac('--api-key-file', str(keyfile), 'rrset', 'www.example.com', server=api.url)
    assert p.returncode == 2 and 'chmod 600' in p.stderr


def test_a_body_that_is_not_json_lines(api):
    p = almanac('rrset', 'html.example', server=api.url)
    assert p.returncode == 2
    assert 'not what the API sends (Content-Type text/html)' in p.stderr
    assert 'line 1, byte 1' in p.stderr


def test_chunked_and_close_delimited_bodies(api):
    assert ok(almanac('rrset', 'chunked.example', server=api.url)).stdout == lines(COF)
    assert ok(almanac('rrset', 'close.example', server=api.url)).stdout == lines(COF)


def test_response_size_cap(api):
    for name in ('big.example', 'bigchunked.example'):
        p = almanac('--max-response', '1M', 'rrset', name, server=api.url)
        assert p.returncode == 2 and 'over the --max-response cap' in p.stderr, p.stderr
    ok(almanac('--max-response', '4M', 'rrset', 'big.example', server=api.url))


def test_connection_refused_and_timeout(api):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    p = almanac('rrset', 'x', server='http://127.0.0.1:%d' % port)
    assert p.returncode == 2
    assert 'cannot connect to 127.0.0.1:%d: connection refused' % port in p.stderr
    t = time.monotonic()
    p = almanac('--timeout', '1', 'rrset', 'slow.example', server=api.url)
    assert p.returncode == 2 and 'no answer within 1 s' in p.stderr
    assert time.monotonic() - t < 2.4


def test_https_to_a_plain_http_server(api):
    p = almanac('rrset', 'x', server=api.url.replace('http://127.0.0.1', 'https://localhost'))
    assert p.returncode == 2 and 'TLS' in p.stderr, p.stderr


# ---- sites --------------------------------------------------------------------

def test_sites_table_and_exit_codes(api):
    p = ok(almanac('--table', 'sites', server=api.url))
    out = p.stdout.splitlines()
    assert out[0].split()[:3] == ['SITE', 'STATUS', 'LAST']
    assert out[1].startswith('fra ') and '2023-11-14 22:14:55 (5s ago)' in out[1]
    assert '1520' in out[1] and '310' in out[1]
    assert out[2].startswith('  fra/s1 ')
    assert out[3].startswith('ams ') and '3.0 MiB' in out[3] and '0.50' in out[3]
    api.httpd.sites['sites'][1]['status'] = 'degraded'
    api.httpd.sites['sites'][1]['reason'] = 'drop rate 0.5% over 0.1%'
    p = ok(almanac('--table', 'sites', server=api.url), 1)
    assert p.stdout.splitlines()[3].endswith('drop rate 0.5% over 0.1%')
    ok(almanac('sites', '--site', 'fra', server=api.url), 0)
    api.httpd.sites['sites'][0]['status'] = 'down'
    ok(almanac('sites', server=api.url), 2)
    api.httpd.sites['sites'][0]['status'] = 'stale'
    ok(almanac('sites', server=api.url), 2)
    p = almanac('sites', '--site', 'nowhere', server=api.url)
    assert p.returncode == 2 and "site 'nowhere' is not in the server's list" in p.stderr


def test_sites_json_and_csv(api):
    p = ok(almanac('sites', server=api.url))
    assert json.loads(p.stdout) == SITES
    p = ok(almanac('sites', '--site', 'ams', server=api.url))
    assert json.loads(p.stdout) == {'generated': SITES['generated'],
                                    'sites': [SITES['sites'][1]]}
    p = ok(almanac('--csv', 'sites', server=api.url))
    rows = p.stdout.split('\n')
    assert rows[0] == ('site,sensor,status,last_contact,packets_per_s,drop_pct,spool_bytes,'
                       'spool_batches,observations_per_s,reason')
    assert rows[2] == 'fra,s1,ok,2023-11-14 22:14:55,1520.5,0.0,0,0,310.25,'


def test_sites_server_error_is_critical(api):
    api.httpd.api_key = 'k'
    p = almanac('sites', server=api.url)
    assert p.returncode == 2 and '401' in p.stderr


# ---- HTTPS ----------------------------------------------------------------------

def tls_server(pki, client_ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*pki.agg)
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    return FakeApi(ctx)


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp('pki'))


def test_https_with_cacert(pki):
    api = tls_server(pki)
    try:
        p = ok(almanac('--cacert', pki.ca, 'rrset', 'www.example.com', server=api.url))
        assert p.stdout == lines(COF)
        # 127.0.0.1 cannot be verified; --server-name gives the name to expect.
        ok(almanac('--cacert', pki.ca, '--server-name', 'localhost', 'rrset',
                   'www.example.com', server=api.url.replace('localhost', '127.0.0.1')))
    finally:
        api.close()


def test_https_name_mismatch_and_unknown_ca(pki, tmp_path):
    other = Pki(tmp_path / 'other')
    api = tls_server(pki)
    try:
        p = almanac('--cacert', pki.ca, '--server-name', 'aggr.example', 'rrset', 'x',
                    server=api.url)
        assert p.returncode == 2
        assert "not valid for the name 'aggr.example' (it names: localhost)" in p.stderr
        p = almanac('--cacert', other.ca, 'rrset', 'x', server=api.url)
        assert p.returncode == 2
        assert 'is not issued by a CA in %s' % other.ca in p.stderr
    finally:
        api.close()


def test_https_client_certificate(pki, tmp_path):
    other = Pki(tmp_path / 'other')
    api = tls_server(pki, client_ca=pki.ca)
    try:
        p = almanac('--cacert', pki.ca, 'rrset', 'x', server=api.url)
        assert p.returncode == 2 and 'requires a client certificate' in p.stderr, p.stderr
        crt, key = pki.issue('analyst', 'alice')
        ok(almanac('--cacert', pki.ca, '--cert', crt, '--key', key, 'rrset',
                   'www.example.com', server=api.url))
        crt, key = other.issue('analyst', 'mallory')
        p = almanac('--cacert', pki.ca, '--cert', crt, '--key', key, 'rrset', 'x',
                    server=api.url)
        assert p.returncode == 2 and 'did not accept the client certificate' in p.stderr
    finally:
        api.close()
