"""The query API of docs/api.md against the real aggregator.

The store is built by real sensors (almanac-sensor -r) from generated
captures, one per site (fra, ams), plus records placed on purpose with
tests/tools/batchsend (obs mode) where the captures cannot hit an edge:
network and broadcast addresses, IPv4-mapped IPv6, chosen times, a tuple
seen by both sites, rdata with two names in one zone. Every expected answer
is computed here from the ground truth (gencap's .truth.jsonl files and the
placed records), with this file's own reading of docs/api.md: the Model
below. The API is never asked the same question twice to find out what it
should answer; where two of its answers are compared (pages against the
unpaged answer), the unpaged answer is itself checked against the Model.

Other aggregators, each with its own small store: HTTPS with API keys on
all addresses (401s, SIGHUP reload, the CLI with --cacert), HTTPS requiring
analyst certificates (--http-ca), small --default-limit / --max-answer-bytes,
and one walked page by page while a second sensor ingests into it.
Clients are the standard library's (http.client, ssl, json) and the real
`almanac` CLI.
"""
import csv
import http.client
import io
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import time
import urllib.parse

import pytest

from conftest import binary, gencap, load_jsonl
import procs
from procs import Aggregator, Pki, free_port, run, sensor_cmd, wait_for

DNSSEC = {'RRSIG', 'NSEC', 'NSEC3', 'DNSKEY', 'DS', 'CDS', 'CDNSKEY', 'NSEC3PARAM'}
# Where names sit in presentation rdata (fields split on spaces): the names
# rdata/name lookups find (index.c, pd_rr_rdata_names) ...
RDATA_NAMES = {'NS': [0], 'CNAME': [0], 'DNAME': [0], 'PTR': [0], 'MB': [0], 'MD': [0],
               'MF': [0], 'MG': [0], 'MR': [0], 'SOA': [0, 1], 'MX': [1], 'KX': [1],
               'RT': [1], 'AFSDB': [1], 'MINFO': [0, 1], 'RP': [0, 1], 'PX': [1, 2],
               'SRV': [3], 'SVCB': [1], 'HTTPS': [1], 'NAPTR': [-1]}
# ... and every name DNSDB's answers write with a trailing dot.
FQDN_FIELDS = dict(RDATA_NAMES, RRSIG=[7], NSEC=[0])
TYPE_NUM = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'MX': 15, 'TXT': 16, 'AAAA': 28}
KEY1 = 'analyst-key-0123456789abcdef'
KEY2 = 'second-key-fedcba9876543210'


# ---------------------------------------------------------------- names

def label_texts(name):
    """Presentation labels of a name ('a\\.b.c' -> ['a\\.b', 'c']); root -> []."""
    if name in ('.', ''):
        return []
    out, cur, i = [], '', 0
    while i < len(name):
        c = name[i]
        if c == '\\':
            n = 4 if name[i + 1:i + 2].isdigit() else 2
            cur += name[i:i + n]
            i += n
            continue
        if c == '.':
            out.append(cur)
            cur = ''
        else:
            cur += c
        i += 1
    if cur:
        out.append(cur)
    return out


def label_bytes(text):
    out, i = b'', 0
    while i < len(text):
        if text[i] == '\\':
            if text[i + 1].isdigit():
                out += bytes([int(text[i + 1:i + 4])])
                i += 4
            else:
                out += text[i + 1].encode('latin-1')
                i += 2
        else:
            out += text[i].encode('latin-1')
            i += 1
    return out.lower()


def labels(name):
    """A name as a tuple of canonical label bytes (case folded)."""
    return tuple(label_bytes(t) for t in label_texts(name.rstrip('.') if name != '.' else name))


def wire_name(name):
    return b''.join(bytes([len(l)]) + l for l in labels(name)) + b'\0'


def fqdn(name):
    return name if name == '.' else name + '.'


def parent(name):
    rest = label_texts(name)[1:]
    return '.'.join(rest) + '.' if rest else '.'


def name_matches(name, target):
    """target: ('exact'|'left'|'right', labels)."""
    how, want = target
    n = labels(name)
    if how == 'exact':
        return n == want
    if how == 'left':
        return len(n) > len(want) and n[len(n) - len(want):] == want
    return len(n) > len(want) and n[:len(want)] == want


def name_target(text):
    t = text.rstrip('.') if text not in ('.',) else text
    if t.startswith('*.'):
        return ('left', labels(t[2:]))
    if t.endswith('.*'):
        return ('right', labels(t[:-2]))
    return ('exact', labels(t))


def rdata_names(rrtype, rdata):
    f = rdata.split(' ')
    return [f[i] for i in RDATA_NAMES.get(rrtype, []) if len(f) > abs(i)]


def dnsdb_rdata(rrtype, rdata):
    """The rdata as DNSDB answers write it: names with a trailing dot."""
    f = rdata.split(' ')
    for i in FQDN_FIELDS.get(rrtype, []):
        if len(f) > abs(i):
            f[i] = fqdn(f[i])
    return ' '.join(f)


# ---------------------------------------------------------------- the Model

class Model:
    """Tuples with merged and per-site figures, and the answers docs/api.md
    promises for them."""

    def __init__(self):
        self.t = {}

    def add(self, o, site):
        k = (o['rrname'], o['rrtype'], o.get('rdata'), o.get('rcode'))
        m = self.t.setdefault(k, {'rrname': o['rrname'], 'rrtype': o['rrtype'], 'sites': {}})
        if 'rdata' in o:
            m['rdata'] = o['rdata']
        if 'rcode' in o:
            m['rcode'] = o['rcode']
        s = m['sites'].setdefault(site, {'count': 0, 'time_first': o['time_first'],
                                         'time_last': o['time_last']})
        s['count'] += o['count']
        s['time_first'] = min(s['time_first'], o['time_first'])
        s['time_last'] = max(s['time_last'], o['time_last'])
        m['count'] = sum(x['count'] for x in m['sites'].values())
        m['time_first'] = min(x['time_first'] for x in m['sites'].values())
        m['time_last'] = max(x['time_last'] for x in m['sites'].values())

    def copy(self):
        m = Model()
        m.t = json.loads(json.dumps(list(self.t.items())))
        m.t = {tuple(k): v for k, v in m.t}
        return m

    def select(self, kind, target, rrtype=None, site=None, fences=None, now=None):
        """Rows (native form) of a lookup: kind rrset | rdata_name | rdata_ip |
        nxdomain; target a name_target() or an ip_target()."""
        out = []
        for r in self.t.values():
            negative = 'rcode' in r
            if (kind == 'nxdomain') != negative:
                continue
            if kind in ('rrset', 'nxdomain') and not name_matches(r['rrname'], target):
                continue
            if kind == 'rdata_name' and not any(name_matches(n, target)
                                                for n in rdata_names(r['rrtype'], r['rdata'])):
                continue
            if kind == 'rdata_ip' and not ip_in(r, target):
                continue
            if not type_matches(rrtype, r['rrtype']):
                continue
            row = native_row(r, site)
            if row is None or not fences_match(row, fences or {}, now):
                continue
            out.append(row)
        return out


def native_row(r, site=None):
    """A tuple as the native API writes it (figures of one site with site=)."""
    row = {k: r[k] for k in ('rrname', 'rrtype', 'rdata', 'rcode') if k in r}
    if site is None:
        row.update(count=r['count'], time_first=r['time_first'], time_last=r['time_last'],
                   sites=r['sites'])
        return row
    if site not in r['sites']:
        return None
    s = r['sites'][site]
    row.update(s)
    row['sites'] = {site: s}
    return row


def type_matches(want, rrtype):
    if want is None or want.upper() == 'ANY':
        return True
    if want.upper() == 'ANY-DNSSEC':
        return rrtype in DNSSEC
    return rrtype == want.upper()


def fences_match(row, fences, now=None):
    """docs/api.md: a tuple matches when its figures satisfy every bound
    given; bounds are inclusive; negative values are relative to now."""
    def v(name):
        x = fences[name]
        return now + x if x < 0 else x
    f, l = row['time_first'], row['time_last']
    return (('time_first_before' not in fences or f <= v('time_first_before')) and
            ('time_first_after' not in fences or f >= v('time_first_after')) and
            ('time_last_before' not in fences or l <= v('time_last_before')) and
            ('time_last_after' not in fences or l >= v('time_last_after')))


def ip_target(text):
    """ADDR, ADDR/LEN, ADDR-ADDR as (version, lo, hi); mapped IPv6 as IPv4."""
    def addr(a):
        x = ipaddress.ip_address(a)
        if x.version == 6 and x.ipv4_mapped:
            return x.ipv4_mapped
        return x
    if '-' in text:
        a, b = text.split('-')
        lo, hi = addr(a), addr(b)
        return (lo.version, int(lo), int(hi))
    a, _, plen = text.partition('/')
    x = ipaddress.ip_address(a)
    if plen:
        if x.version == 6 and x.ipv4_mapped and int(plen) >= 96:
            net = ipaddress.ip_network('%s/%d' % (x.ipv4_mapped, int(plen) - 96), strict=False)
        else:
            net = ipaddress.ip_network('%s/%s' % (a, plen), strict=False)
    else:
        net = ipaddress.ip_network(addr(a))
    return (net.version, int(net.network_address), int(net.broadcast_address))


def ip_of(r, version):
    """The address of an A/AAAA tuple as seen from an IPv<version> query."""
    if r['rrtype'] not in ('A', 'AAAA'):
        return None
    x = ipaddress.ip_address(r['rdata'])
    if version == 4 and x.version == 6:
        x = x.ipv4_mapped
    return int(x) if x is not None and x.version == version else None


def ip_in(r, target):
    version, lo, hi = target
    a = ip_of(r, version)
    return a is not None and lo <= a <= hi


def summary(rows):
    s = {'count': sum(r['count'] for r in rows), 'num_results': len(rows)}
    if rows:
        s['time_first'] = min(r['time_first'] for r in rows)
        s['time_last'] = max(r['time_last'] for r in rows)
    return s


def dnsdb_rrsets(rows):
    """DNSDB rrset objects of native rows: one per (rrname, rrtype), rdata
    the RRset's values, count its most-seen tuple's (docs/api.md)."""
    groups = {}
    for r in rows:
        g = groups.setdefault((r['rrname'], r['rrtype']), [])
        g.append(r)
    out = []
    for (name, rrtype), g in groups.items():
        out.append({'rrname': fqdn(name), 'rrtype': rrtype, 'bailiwick': parent(name),
                    'rdata': sorted(dnsdb_rdata(rrtype, r['rdata']) for r in g),
                    'count': max(r['count'] for r in g),
                    'time_first': min(r['time_first'] for r in g),
                    'time_last': max(r['time_last'] for r in g)})
    return out


def dnsdb_rdata_obj(r):
    o = {'rrname': fqdn(r['rrname']), 'rrtype': r['rrtype'], 'count': r['count'],
         'time_first': r['time_first'], 'time_last': r['time_last']}
    if 'rdata' in r:
        o['rdata'] = dnsdb_rdata(r['rrtype'], r['rdata'])
    return o


def canon(rows):
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


def assert_rows(got, want, what):
    keys = [json.dumps([r['rrname'], r['rrtype'], r.get('rdata'), r.get('rcode')])
            for r in got]
    dup = sorted(k for k in set(keys) if keys.count(k) > 1)
    assert not dup, '%s: duplicates %s' % (what, dup[:5])
    g, w = canon(got), canon(want)
    if g != w:
        missing = sorted(set(w) - set(g))[:5]
        extra = sorted(set(g) - set(w))[:5]
        pytest.fail('%s: %d rows, want %d\nmissing: %s\nunexpected: %s'
                    % (what, len(got), len(want), '\n  '.join(missing), '\n  '.join(extra)))


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, r, body):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def lines(self):
        """ndjson: every line one JSON object, the last one ended by LF."""
        text = self.body.decode()
        if not text:
            return []
        assert text.endswith('\n'), text[-200:]
        out = [json.loads(l) for l in text[:-1].split('\n')]
        assert all(isinstance(o, dict) for o in out)
        return out


def path_of(*segs):
    return '/' + '/'.join(urllib.parse.quote(s, safe='*:,-') for s in segs)


class Api:
    """A keep-alive client of one aggregator's HTTP API."""

    def __init__(self, port, host='127.0.0.1', ctx=None, key=None, cert_host='localhost'):
        self.port, self.host, self.ctx, self.key = port, host, ctx, key
        self.cert_host = cert_host
        self.conn = None

    def connect(self):
        if self.ctx:
            return http.client.HTTPSConnection(self.cert_host, self.port, timeout=30,
                                               context=self.ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path, params=None, headers=None):
        if params:
            path += '?' + urllib.parse.urlencode(params)
        h = dict(headers or {})
        if self.key and 'X-API-Key' not in h:
            h['X-API-Key'] = self.key
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self.connect()
            try:
                self.conn.request('GET', path, headers=h)
                r = self.conn.getresponse()
                return Resp(r, r.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def native(self, path, params=None):
        r = self.get(path, params)
        assert r.status == 200, (path, params, r.status, r.body[:300])
        assert r.headers['content-type'] == 'application/x-ndjson'
        return r.lines(), r

    def saf(self, path, params=None, status=200):
        """A DNSDB answer parsed line by line: (objects, final line)."""
        r = self.get(path, params)
        assert r.status == status, (path, params, r.status, r.body[:300])
        assert r.headers['content-type'] == 'application/x-ndjson'
        lines = r.lines()
        assert lines[0] == {'cond': 'begin'}, lines[:2]
        end = lines[-1]
        assert end.get('cond') in ('succeeded', 'limited', 'failed'), end
        assert set(end) <= {'cond', 'msg'}
        for l in lines[1:-1]:
            assert list(l) == ['obj'], l
        return [l['obj'] for l in lines[1:-1]], end

    def error(self, path, params=None, status=400, dnsdb=None):
        r = self.get(path, params)
        assert r.status == status, (path, params, r.status, r.body[:300])
        e = r.json()
        if dnsdb is None:
            dnsdb = path.startswith('/dnsdb/')
        if dnsdb:
            assert e['cond'] == 'failed' and isinstance(e['msg'], str) and e['msg'], e
            return e['msg']
        assert list(e) == ['error'] and e['error'], e
        return e['error']

    def walk(self, path, params, limit):
        """Pages of limit results, following X-Almanac-Cursor."""
        pages, cursor = [], None
        while True:
            p = dict(params, limit=limit)
            if cursor:
                p['cursor'] = cursor
            rows, r = self.native(path, p)
            result = r.headers['x-almanac-result']
            pages.append(rows)
            assert len(rows) <= limit
            if result == 'complete':
                assert 'x-almanac-cursor' not in r.headers
                return pages
            assert result == 'limited' and len(rows) == limit, (result, len(rows))
            assert r.headers['x-almanac-cursor'] != cursor
            cursor = r.headers['x-almanac-cursor']
            assert len(pages) < 10000

    def close(self):
        if self.conn:
            self.conn.close()


# ---------------------------------------------------------------- placed records

def rdata_wire(rrtype, rdata):
    if rrtype == 'A':
        return socket.inet_pton(socket.AF_INET, rdata)
    if rrtype == 'AAAA':
        return socket.inet_pton(socket.AF_INET6, rdata)
    f = rdata.split(' ')
    if rrtype in ('CNAME', 'NS'):
        return wire_name(rdata)
    if rrtype == 'MX':
        return struct.pack('>H', int(f[0])) + wire_name(f[1])
    if rrtype == 'SOA':
        return wire_name(f[0]) + wire_name(f[1]) + struct.pack('>5I', *map(int, f[2:]))
    if rrtype == 'TXT':  # plain letters only: '"abc" "def"'
        return b''.join(bytes([len(x)]) + x.encode() for x in (t.strip('"') for t in f))
    raise ValueError(rrtype)


def obs_line(o):
    """A batchsend obs line (NAME TYPE RDATA_HEX COUNT FIRST LAST [nx])."""
    if 'rcode' in o:
        return '%s %d - %d %d %d nx\n' % (o['rrname'], TYPE_NUM[o['rrtype']], o['count'],
                                          o['time_first'], o['time_last'])
    return '%s %d %s %d %d %d\n' % (o['rrname'], TYPE_NUM[o['rrtype']],
                                    rdata_wire(o['rrtype'], o['rdata']).hex(), o['count'],
                                    o['time_first'], o['time_last'])


def obs(name, rrtype, rdata, count, first, last):
    o = {'rrname': name, 'rrtype': rrtype, 'count': count, 'time_first': first,
         'time_last': last}
    if rdata is None:
        o['rcode'] = 'NXDOMAIN'
    else:
        o['rdata'] = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(
            socket.AF_INET6, rdata)) if rrtype == 'AAAA' else rdata
    return o


def placed_records(now):
    """(site, observation) pairs for the edges the captures cannot hit."""
    T = 1600000000
    ip = [('fra', 'net0.ip.edge.test', 'A', '10.0.0.0', 2),
          ('fra', 'bcast.ip.edge.test', 'A', '10.255.255.255', 4),
          ('fra', 'below.ip.edge.test', 'A', '9.255.255.255', 1),
          ('fra', 'above.ip.edge.test', 'A', '11.0.0.0', 1),
          ('fra', 'zero.ip.edge.test', 'A', '0.0.0.0', 1),
          ('fra', 'ones.ip.edge.test', 'A', '255.255.255.255', 1),
          ('ams', 'v4.ip.edge.test', 'A', '192.0.2.1', 1),
          ('ams', 'mapped.ip.edge.test', 'AAAA', '::ffff:192.0.2.1', 1),
          ('ams', 'mapped10.ip.edge.test', 'AAAA', '::ffff:10.0.0.1', 3),
          ('ams', 'v6net.ip.edge.test', 'AAAA', '2001:db8::', 1),
          ('ams', 'v6bcast.ip.edge.test', 'AAAA', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 1),
          ('ams', 'v6below.ip.edge.test', 'AAAA', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 1),
          ('ams', 'v6above.ip.edge.test', 'AAAA', '2001:db9::', 1),
          ('ams', 'v6zero.ip.edge.test', 'AAAA', '::', 1),
          ('ams', 'v6ones.ip.edge.test', 'AAAA', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1)]
    out = [(s, obs(n, t, r, c, T + i, T + 100 + i)) for i, (s, n, t, r, c) in enumerate(ip)]
    day = 86400
    out += [('fra', obs('old.time.edge.test', 'A', '198.51.100.1', 1, now - 10 * day,
                        now - 9 * day)),
            ('fra', obs('recent.time.edge.test', 'A', '198.51.100.2', 1, now - 3600,
                        now - 600)),
            ('fra', obs('span.time.edge.test', 'A', '198.51.100.3', 1, now - 10 * day,
                        now - 600)),
            ('fra', obs('f1.time.edge.test', 'A', '198.51.100.11', 1, 1500000000, 1500000000)),
            ('fra', obs('f2.time.edge.test', 'A', '198.51.100.12', 1, 1500000000, 1500000500)),
            ('fra', obs('f3.time.edge.test', 'A', '198.51.100.13', 1, 1500000500, 1500001000)),
            # one tuple, both sites, different figures
            ('fra', obs('both.site.edge.test', 'A', '192.0.2.77', 2, 1650000100, 1650000200)),
            ('ams', obs('both.site.edge.test', 'A', '192.0.2.77', 5, 1650000150, 1650000400)),
            ('ams', obs('amsonly.site.edge.test', 'A', '192.0.2.78', 1, 1650000000,
                        1650000000)),
            # names: an RRset of three, an SOA naming its zone twice, CNAMEs
            ('fra', obs('www.name.edge.test', 'A', '192.0.2.10', 3, T, T + 10)),
            ('fra', obs('www.name.edge.test', 'A', '192.0.2.11', 7, T + 5, T + 20)),
            ('ams', obs('www.name.edge.test', 'A', '192.0.2.12', 1, T - 5, T + 1)),
            ('fra', obs('name.edge.test', 'SOA',
                        'ns1.name.edge.test hostmaster.name.edge.test 1 7200 3600 1209600 300',
                        2, T, T)),
            ('fra', obs('name.edge.test', 'NS', 'ns1.name.edge.test', 2, T, T)),
            ('fra', obs('name.edge.test', 'MX', '10 mail.name.edge.test', 2, T, T)),
            ('fra', obs('alias.name.edge.test', 'CNAME', 'www.name.edge.test', 1, T, T)),
            ('ams', obs('alias.other.test', 'CNAME', 'www.name.edge.test', 1, T, T)),
            ('fra', obs('www.name.edge.example', 'A', '192.0.2.13', 1, T, T)),
            # negative
            ('fra', obs('nx1.nx.edge.test', 'A', None, 4, T, T + 50)),
            ('ams', obs('nx1.nx.edge.test', 'A', None, 1, T + 60, T + 60)),
            ('fra', obs('nx1.nx.edge.test', 'AAAA', None, 2, T, T)),
            ('ams', obs('deep.nx2.nx.edge.test', 'MX', None, 1, T, T)),
            ('fra', obs('nx.edge.test', 'A', None, 1, T, T))]
    # tuples whose keys (about 800 bytes) are longer than a cursor carries
    # whole: five that share their first 790 bytes, and five names
    long = '"%s" "%s" "%s"' % ('a' * 250, 'b' * 250, 'c' * 250)
    out += [('ams', obs('txt.long.edge.test', 'TXT', long + ' "c%d"' % i, 1, T, T))
            for i in range(5)]
    out += [('ams', obs('t%d.long.edge.test' % i, 'TXT', long, 1, T, T)) for i in range(5)]
    return out


def batchsend(agg, pki, sensor, site, records, tmp):
    """One signed batch of records, sent as sensor (of site)."""
    crt, key = pki.sensor(sensor, site)
    path = os.path.join(str(tmp), 'obs-%s.txt' % secrets.token_hex(4))
    with open(path, 'w') as f:
        f.writelines(obs_line(o) for o in records)
    answer = procs.batchsend(agg, crt, key, 'obs', secrets.token_hex(16), '1', path)
    assert answer.startswith('status=0 '), answer


def start_agg(pki, db, *extra):
    """An aggregator with the HTTP API on a free loopback port."""
    port = free_port()
    a = Aggregator(pki, db, '--http', '127.0.0.1:%d' % port, *extra).start()
    a.http_port = port
    return a


def ingest(pki, agg, tmp, name, site, seed, packets, duration, *extra):
    """Generates a capture and returns the running sensor shipping it, and its truth."""
    cap, truth = str(tmp / ('%s.pcap' % name)), str(tmp / ('%s.truth.jsonl' % name))
    gencap('realistic', '--out', cap, '--truth', truth, '--seed', str(seed), '--packets',
           str(packets), '--duration', str(duration))
    cmd = sensor_cmd(pki, agg.url, cap, tmp / ('state-' + name), name, site,
                     '--drain-timeout', '30', *extra)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True), truth


def finish(proc):
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]


def kill_all(procs):
    """Stops sensors a failed test left running."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.communicate()


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp('pki') / 'ca')
    p.analyst = p.issue('analyst', 'alice')
    return p


class Store:
    """The module's aggregator, its API and the Model of what it holds."""


@pytest.fixture(scope='module')
def store(pki, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('store')
    agg = start_agg(pki, tmp / 'db')
    procs = []
    try:
        p1, t1 = ingest(pki, agg, tmp, 's-fra', 'fra', 41, 4000, 300)
        procs.append(p1)
        p2, t2 = ingest(pki, agg, tmp, 's-ams', 'ams', 42, 4000, 600)
        procs.append(p2)
        now = int(time.time())
        placed = placed_records(now)
        for site, sensor in (('fra', 'b-fra'), ('ams', 'b-ams')):
            batchsend(agg, pki, sensor, site, [o for s, o in placed if s == site], tmp)
        finish(p1)
        finish(p2)
        m = Model()
        for truth, site in ((t1, 'fra'), (t2, 'ams')):
            for o in load_jsonl(truth):
                m.add(o, site)
        for site, o in placed:
            m.add(o, site)
        s = Store()
        s.agg, s.model = agg, m
        s.api = Api(agg.http_port)
        yield s
        s.api.close()
    finally:
        kill_all(procs)
        assert agg.stop() == 0, ''.join(agg.log[-50:])


# ---------------------------------------------------------------- helpers over the Model

def names_by_count(model, pred=lambda r: True):
    """Owner names of positive tuples, most tuples first (ties by name)."""
    n = {}
    for r in model.t.values():
        if 'rdata' in r and pred(r):
            n[r['rrname']] = n.get(r['rrname'], 0) + 1
    return sorted(n, key=lambda x: (-n[x], x))


def zones_of(model, depth, min_names=3):
    """Zones (the last depth labels of owners) with at least min_names names strictly below."""
    z = {}
    for r in model.t.values():
        t = label_texts(r['rrname'])
        if len(t) > depth:
            z.setdefault('.'.join(t[-depth:]), set()).add(r['rrname'])
    return sorted(k for k, v in z.items() if len(v) >= min_names)


def check_lookup(store, path, kind, target, rrtype=None, params=None, what=None):
    """A native lookup checked against the Model; returns its rows."""
    params = dict(params or {})
    rows, r = store.api.native(path, params)
    fences = {k: int(v) for k, v in params.items() if k.startswith('time_')}
    want = store.model.select(kind, target, rrtype=rrtype, site=params.get('site'),
                              fences=fences, now=int(time.time()))
    assert_rows(rows, want, '%s %s' % (what or path, params or ''))
    assert r.headers['x-almanac-result'] == 'complete', (path, params)
    assert 'x-almanac-cursor' not in r.headers
    return rows


# ---------------------------------------------------------------- native lookups

def test_rrset_exact_names_with_and_without_dot_any_case(store):
    m = store.model
    names = names_by_count(m)[:12] + ['www.name.edge.test', 'name.edge.test']
    assert len(set(names)) >= 10
    for name in names:
        rows = check_lookup(store, path_of('api', 'v1', 'rrset', name), 'rrset',
                            name_target(name))
        assert rows
        for variant in (name + '.', name.upper(), name.title() + '.'):
            got, _ = store.api.native(path_of('api', 'v1', 'rrset', variant))
            assert_rows(got, rows, 'rrset %s' % variant)
        for rrtype in sorted({r['rrtype'] for r in rows}):
            check_lookup(store, path_of('api', 'v1', 'rrset', name, rrtype), 'rrset',
                         name_target(name), rrtype)
            check_lookup(store, path_of('api', 'v1', 'rrset', name.upper(), rrtype.lower()),
                         'rrset', name_target(name), rrtype)
    # Names that hold nothing: an empty, complete answer.
    for name in ('nothing.edge.test', 'edge.test', 'ip.edge.test', 'www.name.edge.test.x'):
        rows, r = store.api.native(path_of('api', 'v1', 'rrset', name))
        assert rows == [] and r.body == b'' and r.headers['x-almanac-result'] == 'complete'
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', 'www.name.edge.test', 'MX'))
    assert rows == []


def test_rrset_negative_tuples_stay_out_of_rrset_answers(store):
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', 'nx1.nx.edge.test'))
    assert rows == []
    rows = check_lookup(store, path_of('api', 'v1', 'rrset', '*.edge.test'), 'rrset',
                        name_target('*.edge.test'))
    assert not any('rcode' in r for r in rows)


def test_rrset_left_wildcards(store):
    m = store.model
    zones = zones_of(m, 2)[:8] + zones_of(m, 1)[:3] + ['name.edge.test', 'edge.test', 'test']
    for zone in zones:
        for q in ('*.' + zone, '*.' + zone + '.', '*.' + zone.upper()):
            rows = check_lookup(store, path_of('api', 'v1', 'rrset', q), 'rrset',
                                name_target(q))
        assert rows, zone
        # strictly below: the zone's own records are not part of *.zone
        assert not any(labels(r['rrname']) == labels(zone) for r in rows)
        check_lookup(store, path_of('api', 'v1', 'rrset', '*.' + zone, 'A'), 'rrset',
                     name_target('*.' + zone), 'A')
    rows = check_lookup(store, path_of('api', 'v1', 'rrset', '*.name.edge.test'), 'rrset',
                        name_target('*.name.edge.test'))
    assert {r['rrname'] for r in rows} == {'www.name.edge.test', 'alias.name.edge.test'}


def test_rrset_right_wildcards(store):
    m = store.model
    prefixes = set()
    for name in names_by_count(m, lambda r: len(label_texts(r['rrname'])) >= 3)[:10]:
        t = label_texts(name)
        prefixes.add(t[0])
        prefixes.add('.'.join(t[:2]))
    prefixes |= {'www.name.edge', 'www.name', 'www'}
    for p in sorted(prefixes):
        for q in (p + '.*', p.upper() + '.*.'):
            rows = check_lookup(store, path_of('api', 'v1', 'rrset', q), 'rrset',
                                name_target(q))
        assert rows, p
        assert not any(labels(r['rrname']) == labels(p) for r in rows)
    rows = check_lookup(store, path_of('api', 'v1', 'rrset', 'www.name.edge.*'), 'rrset',
                        name_target('www.name.edge.*'))
    assert {r['rrname'] for r in rows} == {'www.name.edge.test', 'www.name.edge.example'}
    check_lookup(store, path_of('api', 'v1', 'rrset', 'www.name.*', 'A'), 'rrset',
                 name_target('www.name.*'), 'A')


def test_rdata_name_exact_and_wildcards(store):
    m = store.model
    targets = {}
    for r in m.t.values():
        for n in rdata_names(r['rrtype'], r.get('rdata', '')):
            if n != '.':
                targets[n] = targets.get(n, 0) + 1
    top = sorted(targets, key=lambda x: (-targets[x], x))[:10]
    for name in top + ['www.name.edge.test', 'name.edge.test']:
        for q in (name, name.upper() + '.'):
            check_lookup(store, path_of('api', 'v1', 'rdata', 'name', q), 'rdata_name',
                         name_target(q))
    rows = check_lookup(store, path_of('api', 'v1', 'rdata', 'name', 'www.name.edge.test'),
                        'rdata_name', name_target('www.name.edge.test'))
    assert {r['rrname'] for r in rows} == {'alias.name.edge.test', 'alias.other.test'}
    check_lookup(store, path_of('api', 'v1', 'rdata', 'name', 'www.name.edge.test', 'CNAME'),
                 'rdata_name', name_target('www.name.edge.test'), 'CNAME')
    for zone in zones_of(m, 2)[:6] + ['name.edge.test', 'net', 'arpa']:
        check_lookup(store, path_of('api', 'v1', 'rdata', 'name', '*.' + zone), 'rdata_name',
                     name_target('*.' + zone))
        for rrtype in ('SOA', 'MX', 'NS', 'CNAME', 'SRV', 'PTR', 'HTTPS', 'SVCB'):
            check_lookup(store, path_of('api', 'v1', 'rdata', 'name', '*.' + zone, rrtype),
                         'rdata_name', name_target('*.' + zone), rrtype)
    # An SOA naming two hosts of one zone is one result, not two.
    rows = check_lookup(store, path_of('api', 'v1', 'rdata', 'name', '*.name.edge.test'),
                        'rdata_name', name_target('*.name.edge.test'))
    assert sum(r['rrtype'] == 'SOA' for r in rows) == 1
    for p in ('ns1.*', 'www.name.*', 'hostmaster.*', 'mail.name.edge.*'):
        rows = check_lookup(store, path_of('api', 'v1', 'rdata', 'name', p), 'rdata_name',
                            name_target(p))
        assert rows, p


def test_nxdomain_exact_wildcard_and_type(store):
    m = store.model
    neg = sorted({r['rrname'] for r in m.t.values() if 'rcode' in r})
    assert len(neg) >= 10
    for name in neg[:8] + ['nx1.nx.edge.test']:
        for q in (name, name.upper() + '.'):
            check_lookup(store, path_of('api', 'v1', 'nxdomain', q), 'nxdomain',
                         name_target(q))
    rows = check_lookup(store, path_of('api', 'v1', 'nxdomain', 'nx1.nx.edge.test'),
                        'nxdomain', name_target('nx1.nx.edge.test'))
    assert len(rows) == 2 and all(r['rcode'] == 'NXDOMAIN' and 'rdata' not in r for r in rows)
    check_lookup(store, path_of('api', 'v1', 'nxdomain', 'nx1.nx.edge.test', 'AAAA'),
                 'nxdomain', name_target('nx1.nx.edge.test'), 'AAAA')
    rows = check_lookup(store, path_of('api', 'v1', 'nxdomain', '*.nx.edge.test'), 'nxdomain',
                        name_target('*.nx.edge.test'))
    assert len(rows) == 3
    for zone in zones_of(m, 1, 1):
        check_lookup(store, path_of('api', 'v1', 'nxdomain', '*.' + zone), 'nxdomain',
                     name_target('*.' + zone))
    store.api.error(path_of('api', 'v1', 'nxdomain', 'nx1.nx.*'))


CIDRS = ['10.0.0.0/8', '10.0.0.0/32', '10.255.255.255/32', '10.0.0.0', '10.255.255.255',
         '10.0.0.0/7', '11.0.0.0/8', '0.0.0.0/0', '0.0.0.0/32', '255.255.255.255/32',
         '192.0.2.1', '192.0.2.0/24', '198.18.0.0/15', '198.18.1.0/24', '10.1.2.3/8',
         '::ffff:192.0.2.1', '::ffff:192.0.2.0/120', '::ffff:10.0.0.0/104', '::ffff:0:0/96',
         '::/0', '::/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', '2001:db8::/32',
         '2001:db8::/128', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128',
         '2001:db8::/31', '2001:db8:1::/48', '2001:db8:1::/64', '::ffff:0:0/95',
         '10.0.0.0-10.255.255.255', '9.255.255.255-11.0.0.0', '10.0.0.1-10.0.0.1',
         '0.0.0.0-255.255.255.255', '10.0.0.0-::ffff:10.0.0.1',
         '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff-2001:db8::',
         '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']


@pytest.mark.parametrize('cidr', CIDRS)
def test_rdata_ip_cidr_edges(store, cidr):
    addr, _, plen = cidr.partition('/')
    segs = ['api', 'v1', 'rdata', 'ip', addr] + ([plen] if plen else [])
    target = ip_target(cidr)
    rows = check_lookup(store, path_of(*segs), 'rdata_ip', target)
    # in address order
    addrs = [ip_of(r, target[0]) for r in rows]
    assert addrs == sorted(addrs), cidr
    # the DNSDB form of the same range
    d = cidr.replace('/', ',')
    objs, end = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', d))
    assert end == {'cond': 'succeeded'}
    assert canon(objs) == canon(dnsdb_rdata_obj(r) for r in rows)


def test_rdata_ip_edge_results(store):
    def owners(cidr):
        addr, _, plen = cidr.partition('/')
        rows, _ = store.api.native(path_of('api', 'v1', 'rdata', 'ip', addr,
                                           *([plen] if plen else [])))
        return {r['rrname'].split('.')[0] for r in rows if r['rrname'].endswith('.edge.test')}
    assert owners('10.0.0.0/8') == {'net0', 'bcast', 'mapped10'}
    assert owners('10.0.0.0/32') == {'net0'}
    assert owners('10.255.255.255/32') == {'bcast'}
    assert owners('192.0.2.1') == owners('::ffff:192.0.2.1') == {'v4', 'mapped'}
    assert owners('2001:db8::/32') >= {'v6net', 'v6bcast'}
    assert not owners('2001:db8::/32') & {'v6below', 'v6above'}
    assert owners('2001:db8::/128') == {'v6net'}
    assert owners('::/128') == {'v6zero'}
    assert {'zero', 'ones', 'mapped', 'mapped10'} <= owners('0.0.0.0/0')
    assert {'v6zero', 'v6ones', 'mapped', 'mapped10'} <= owners('::/0')
    assert 'zero' not in owners('::/0')


@pytest.mark.parametrize('bad', [
    ('10.0.0.0', '33'), ('10.0.0.0', '-1'), ('10.0.0.0', 'x'), ('10.0.0.0', '+8'),
    ('::', '129'), ('10.0.0.0', '8', '1'), ('10.0.0.5-10.0.0.1',), ('10.0.0.1-::1',),
    ('10.0.0.256',), ('nonsense',), ('10.0.0',), ('1.2.3.4.5',), ('::ffff:1.2.3.4', '97x'),
    ('2001:db8::-',), ('-10.0.0.1',), ('10.0.0.0', ' 8')],
    ids=lambda b: '/'.join(b))
def test_rdata_ip_bad_addresses_and_prefixes(store, bad):
    msg = store.api.error(path_of('api', 'v1', 'rdata', 'ip', *bad))
    assert 'address' in msg or 'ADDR' in msg
    if len(bad) <= 2:
        d = ','.join(bad)
        store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', d))


def test_dnsdb_ip_takes_comma_not_slash(store):
    store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', '10.0.0.0', '8'))
    store.api.error(path_of('api', 'v1', 'rdata', 'ip', '10.0.0.0,8'))
    store.api.error(path_of('api', 'v1', 'rdata', 'ip'))


# ---------------------------------------------------------------- filters

def test_rrtype_filter_any_dnssec_and_mnemonics(store):
    m = store.model
    types = sorted({r['rrtype'] for r in m.t.values() if 'rdata' in r})
    assert {'A', 'AAAA', 'RRSIG', 'DNSKEY', 'TYPE65280'} <= set(types), types
    zones = zones_of(m, 1)
    for zone in zones:
        q = '*.' + zone
        for rrtype in types + ['ANY', 'ANY-DNSSEC', 'any-dnssec', 'any']:
            check_lookup(store, path_of('api', 'v1', 'rrset', q, rrtype), 'rrset',
                         name_target(q), rrtype)
    signed = sorted({label_texts(r['rrname'])[-1] for r in m.t.values()
                     if r['rrtype'] in DNSSEC})
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', '*.' + signed[0], 'ANY-DNSSEC'))
    assert rows and {r['rrtype'] for r in rows} <= DNSSEC
    # TYPEnnn for a known type is that type.
    a, _ = store.api.native(path_of('api', 'v1', 'rrset', '*.edge.test', 'TYPE1'))
    assert_rows(a, store.model.select('rrset', name_target('*.edge.test'), 'A'), 'TYPE1')
    for bad in ('NOTATYPE', 'TYPE65536', 'TYPE', 'A A', '1'):
        msg = store.api.error(path_of('api', 'v1', 'rrset', 'www.name.edge.test', bad))
        assert 'type' in msg
        store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', 'www.name.edge.test',
                                bad))


def test_site_filter_gives_each_site_its_own_figures(store):
    m = store.model
    both = [r for r in m.t.values() if len(r['sites']) == 2]
    assert len(both) >= 3  # the captures share a few tuples; one is placed
    for site in ('fra', 'ams'):
        for q in ('*.edge.test', '*.net', '*.org', '*.arpa'):
            check_lookup(store, path_of('api', 'v1', 'rrset', q), 'rrset', name_target(q),
                         params={'site': site})
        check_lookup(store, path_of('api', 'v1', 'rdata', 'ip', '0.0.0.0', '0'), 'rdata_ip',
                     ip_target('0.0.0.0/0'), params={'site': site})
        check_lookup(store, path_of('api', 'v1', 'nxdomain', '*.edge.test'), 'nxdomain',
                     name_target('*.edge.test'), params={'site': site})
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', 'both.site.edge.test'),
                               {'site': 'ams'})
    assert rows == [{'rrname': 'both.site.edge.test', 'rrtype': 'A', 'rdata': '192.0.2.77',
                     'count': 5, 'time_first': 1650000150, 'time_last': 1650000400,
                     'sites': {'ams': {'count': 5, 'time_first': 1650000150,
                                       'time_last': 1650000400}}}]
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', 'both.site.edge.test'))
    assert rows[0]['count'] == 7 and rows[0]['time_first'] == 1650000100
    assert rows[0]['time_last'] == 1650000400 and set(rows[0]['sites']) == {'fra', 'ams'}
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', 'amsonly.site.edge.test'),
                               {'site': 'fra'})
    assert rows == []
    # Fences apply to the site's own figures.
    p = {'time_first_after': '1650000150'}
    assert store.api.native(path_of('api', 'v1', 'rrset', 'both.site.edge.test'), p)[0] == []
    assert len(store.api.native(path_of('api', 'v1', 'rrset', 'both.site.edge.test'),
                                dict(p, site='ams'))[0]) == 1
    msg = store.api.error(path_of('api', 'v1', 'rrset', 'both.site.edge.test'),
                          {'site': 'nowhere'})
    assert 'nowhere' in msg


def fence_sets(times):
    """Fence combinations around the given times (inclusive edges included)."""
    t = sorted(times)
    lo, mid, hi = t[len(t) // 4], t[len(t) // 2], t[3 * len(t) // 4]
    out = []
    for a in (lo, mid, hi):
        out += [{'time_first_before': a}, {'time_first_after': a}, {'time_last_before': a},
                {'time_last_after': a}]
    out += [{'time_last_after': lo, 'time_first_before': hi},      # overlap
            {'time_first_after': lo, 'time_last_before': hi},      # containment
            {'time_last_after': mid, 'time_first_before': mid},
            {'time_first_after': mid, 'time_last_before': mid},
            {'time_first_after': lo, 'time_first_before': mid, 'time_last_after': mid,
             'time_last_before': hi},
            {'time_first_after': hi, 'time_last_before': lo}]       # nothing
    return out


def test_time_fences_overlap_and_containment(store):
    m = store.model
    for q, kind, target, segs in (
            ('*.net', 'rrset', name_target('*.net'), ('rrset', '*.net')),
            ('ip', 'rdata_ip', ip_target('0.0.0.0/0'), ('rdata', 'ip', '0.0.0.0', '0')),
            ('nx', 'nxdomain', name_target('*.net'), ('nxdomain', '*.net'))):
        rows = m.select(kind, target)
        times = [r['time_first'] for r in rows] + [r['time_last'] for r in rows]
        for f in fence_sets(times):
            check_lookup(store, path_of('api', 'v1', *segs), kind, target,
                         params={k: str(v) for k, v in f.items()})
            for site in ('fra', 'ams'):
                check_lookup(store, path_of('api', 'v1', *segs), kind, target,
                             params=dict({k: str(v) for k, v in f.items()}, site=site))


def test_time_fence_edges_are_inclusive(store):
    def owners(**f):
        rows, _ = store.api.native(path_of('api', 'v1', 'rrset', '*.time.edge.test'),
                                   {k: str(v) for k, v in f.items()})
        return {r['rrname'].split('.')[0] for r in rows} & {'f1', 'f2', 'f3'}
    assert owners(time_first_after=1500000500) == {'f3'}
    assert owners(time_first_before=1500000000) == {'f1', 'f2'}
    assert owners(time_last_before=1500000500) == {'f1', 'f2'}
    assert owners(time_last_after=1500000500) == {'f2', 'f3'}
    # overlap with the instant 1500000500, and containment in [1500000000, 1500000500]
    assert owners(time_last_after=1500000500, time_first_before=1500000500) == {'f2', 'f3'}
    assert owners(time_first_after=1500000000, time_last_before=1500000500) == {'f1', 'f2'}
    assert owners(time_first_after=1500000001, time_last_before=1500000999) == set()


def test_relative_time_fences(store):
    def owners(**f):
        rows, _ = store.api.native(path_of('api', 'v1', 'rrset', '*.time.edge.test'),
                                   {k: str(v) for k, v in f.items()})
        return {r['rrname'].split('.')[0] for r in rows}
    day = 86400
    assert owners(time_last_after=-day) == {'recent', 'span'}
    assert owners(time_first_after=-day) == {'recent'}
    assert owners(time_first_before=-5 * day) == {'old', 'span', 'f1', 'f2', 'f3'}
    assert owners(time_last_before=-5 * day) == {'old', 'f1', 'f2', 'f3'}
    assert owners(time_last_after=-20 * day, time_last_before=-5 * day) == {'old'}
    for q in ('*.time.edge.test', '*.net'):
        for f in ({'time_last_after': -day}, {'time_first_before': -day},
                  {'time_first_after': -30 * day, 'time_last_before': -day}):
            check_lookup(store, path_of('api', 'v1', 'rrset', q), 'rrset', name_target(q),
                         params={k: str(v) for k, v in f.items()})
    # DNSDB: the same parameters
    objs, end = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name',
                                      '*.time.edge.test'), {'time_last_after': -day})
    assert end['cond'] == 'succeeded'
    assert {o['rrname'] for o in objs} == {'recent.time.edge.test.', 'span.time.edge.test.'}


@pytest.mark.parametrize('param,value', [
    ('time_first_before', 'yesterday'), ('time_first_after', '1.5'),
    ('time_last_before', ''), ('time_last_after', '1e9'), ('time_last_after', '+5'),
    ('time_first_before', '99999999999999999999'), ('time_first_after', ' 5'),
    ('limit', '-1'), ('limit', 'ten'), ('limit', '1.0'), ('limit', '99999999999999999999999'),
    ('offset', '-3'), ('offset', 'x'), ('cursor', '!!!'), ('cursor', ''),
    ('cursor', 'AQJpbwhhbHBoYTEwMANzc2gAACwBAqhg'), ('max_count', 'x')])
def test_bad_parameters_get_400_with_json(store, param, value):
    for path in (path_of('api', 'v1', 'rrset', '*.net'),
                 path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', '*.net'),
                 path_of('api', 'v1', 'summarize', 'rrset', '*.net'),
                 path_of('dnsdb', 'v2', 'summarize', 'rrset', 'name', '*.net')):
        if param == 'max_count' and 'summarize' not in path:
            continue
        msg = store.api.error(path, {param: value})
        assert param.split('_')[0] in msg or 'cursor' in msg, msg


# ---------------------------------------------------------------- summarize

SUMMARIES = [
    ('rrset', ('rrset', '*.net'), name_target('*.net'), None),
    ('rrset', ('rrset', 'www.name.edge.test'), name_target('www.name.edge.test'), None),
    ('rrset', ('rrset', '*.org', 'A'), name_target('*.org'), 'A'),
    ('rdata_name', ('rdata', 'name', '*.arpa'), name_target('*.arpa'), None),
    ('rdata_ip', ('rdata', 'ip', '0.0.0.0', '0'), ip_target('0.0.0.0/0'), None),
    ('rdata_ip', ('rdata', 'ip', '2001:db8::', '32'), ip_target('2001:db8::/32'), None),
    ('nxdomain', ('nxdomain', '*.edge.test'), name_target('*.edge.test'), None),
    ('rrset', ('rrset', 'nothing.edge.test'), name_target('nothing.edge.test'), None)]


@pytest.mark.parametrize('kind,segs,target,rrtype', SUMMARIES,
                         ids=['/'.join(s[1]) for s in SUMMARIES])
def test_summarize_native_and_dnsdb(store, kind, segs, target, rrtype):
    fences = [{}, {'time_last_after': '1704067300'}, {'site': 'ams'}]
    for f in fences:
        want = summary(store.model.select(kind, target, rrtype, site=f.get('site'),
                                          fences={k: int(v) for k, v in f.items()
                                                  if k.startswith('time')}))
        r = store.api.get(path_of('api', 'v1', 'summarize', *segs), f)
        assert r.status == 200 and r.headers['content-type'] == 'application/json'
        assert r.json() == dict(want, result='complete'), (segs, f)
        if kind == 'nxdomain' or 'site' in f:
            continue
        dsegs = ('rrset', 'name') + segs[1:] if segs[0] == 'rrset' else segs
        if kind == 'rdata_ip' and len(segs) == 4:
            dsegs = ('rdata', 'ip', segs[2] + ',' + segs[3])
        objs, end = store.api.saf(path_of('dnsdb', 'v2', 'summarize', *dsegs), f)
        assert end == {'cond': 'succeeded'} and objs == [want], (dsegs, f)


def test_summarize_max_count_stops_counting(store):
    """DNSDB's max_count: stop once the count reaches it (the last result
    counts whole). 10.0.0.0/8 holds three placed tuples in address order:
    counts 2 (10.0.0.0), 3 (10.0.0.1 mapped) and 4 (10.255.255.255)."""
    rows = store.model.select('rdata_ip', ip_target('10.0.0.0/8'))
    assert [r['count'] for r in sorted(rows, key=lambda r: ip_of(r, 4))] == [2, 3, 4]
    path = path_of('dnsdb', 'v2', 'summarize', 'rdata', 'ip', '10.0.0.0,8')
    for mc, count, n, cond in ((1, 2, 1, 'limited'), (4, 5, 2, 'limited'),
                               (5, 5, 2, 'limited'), (6, 9, 3, 'succeeded'),
                               (100, 9, 3, 'succeeded')):
        objs, end = store.api.saf(path, {'max_count': mc})
        assert end['cond'] == cond, (mc, end)
        assert (objs[0]['count'], objs[0]['num_results']) == (count, n), (mc, objs)
    # limit bounds the results examined, as in a lookup
    objs, end = store.api.saf(path, {'limit': 2})
    assert end['cond'] == 'limited' and (objs[0]['count'], objs[0]['num_results']) == (5, 2)
    first2 = sorted(rows, key=lambda r: ip_of(r, 4))[:2]
    r = store.api.get(path_of('api', 'v1', 'summarize', 'rdata', 'ip', '10.0.0.0', '8'),
                      {'max_count': 4})
    assert r.json() == dict(summary(first2), result='limited')


# ---------------------------------------------------------------- limit, offset, cursor

WALKS = [('rrset', '*.net'), ('rrset', '*.arpa', 'PTR'), ('rrset', 'www.*'),
         ('rdata', 'name', '*.net'), ('rdata', 'ip', '0.0.0.0', '0'),
         ('rdata', 'ip', '::', '0'), ('nxdomain', '*.net'), ('rrset', '*.edge.test')]


@pytest.mark.parametrize('segs', WALKS, ids=['/'.join(w) for w in WALKS])
def test_cursor_pages_equal_the_unpaged_answer(store, segs):
    path = path_of('api', 'v1', *segs)
    whole, r = store.api.native(path)
    assert r.headers['x-almanac-result'] == 'complete' and len(whole) >= 3
    for params in ({}, {'site': 'fra'}, {'time_last_after': '1704067250'}):
        base, _ = store.api.native(path, params)
        for limit in (1, 2, 7, 50):
            if limit == 1 and params:
                continue
            pages = store.api.walk(path, params, limit)
            flat = [row for p in pages for row in p]
            assert flat == base, (segs, params, limit)
            # "limited" only when more results exist: no empty last page
            assert len(pages) == max(1, (len(base) + limit - 1) // limit)
    # A limit equal to the number of results: all of them, complete.
    rows, r = store.api.native(path, {'limit': len(whole)})
    assert rows == whole and r.headers['x-almanac-result'] == 'complete'
    rows, r = store.api.native(path, {'limit': len(whole) - 1})
    assert rows == whole[:-1] and r.headers['x-almanac-result'] == 'limited'
    assert r.headers['x-almanac-cursor']


def test_limit_and_offset_windows(store):
    path = path_of('api', 'v1', 'rrset', '*.org')
    whole, _ = store.api.native(path)
    assert_rows(whole, store.model.select('rrset', name_target('*.org')), '*.org')
    n = len(whole)
    for offset in (0, 1, 5, n - 1, n, n + 5):
        for limit in (1, 3, n):
            rows, r = store.api.native(path, {'offset': offset, 'limit': limit})
            assert rows == whole[offset:offset + limit], (offset, limit)
            more = offset + limit < n
            assert r.headers['x-almanac-result'] == ('limited' if more else 'complete')
            assert ('x-almanac-cursor' in r.headers) == more
    # offset, then the cursor from there
    rows, r = store.api.native(path, {'offset': 4, 'limit': 3})
    rest, r2 = store.api.native(path, {'cursor': r.headers['x-almanac-cursor']})
    assert rows + rest == whole[4:]
    # limit=0 means the server's maximum (DNSDB's convention)
    rows, r = store.api.native(path, {'limit': 0})
    assert rows == whole
    # federate=0: this aggregator only (it has no peers; the answer is the same)
    assert store.api.native(path, {'federate': '0'})[0] == whole


def test_cursor_past_long_keys(store):
    """Keys longer than the cursor carries whole (a prefix and a hash):
    one result per page still walks every one, in order, once."""
    for segs in (('rrset', '*.long.edge.test'), ('rrset', 'txt.long.edge.test', 'TXT'),
                 ('rrset', 'txt.long.*')):
        path = path_of('api', 'v1', *segs)
        whole, _ = store.api.native(path)
        assert len(whole) >= 5
        for limit in (1, 2, 3):
            pages = store.api.walk(path, {}, limit)
            assert [r for p in pages for r in p] == whole, (segs, limit)
        _, r = store.api.native(path, {'limit': 1})
        assert len(r.headers['x-almanac-cursor']) < 1024
    rows = check_lookup(store, path_of('api', 'v1', 'rrset', '*.long.edge.test'), 'rrset',
                        name_target('*.long.edge.test'))
    assert len(rows) == 10


def test_cursor_of_another_query_is_refused(store):
    _, r = store.api.native(path_of('api', 'v1', 'rrset', '*.net'), {'limit': 2})
    c = r.headers['x-almanac-cursor']
    for segs in (('rrset', '*.org'), ('rdata', 'ip', '10.0.0.0', '8'), ('nxdomain', '*.net'),
                 ('rrset', 'ns1.*')):
        msg = store.api.error(path_of('api', 'v1', *segs), {'cursor': c})
        assert 'cursor' in msg
    # the same query with another type filter may resume from it
    rows, _ = store.api.native(path_of('api', 'v1', 'rrset', '*.net', 'A'), {'cursor': c})
    assert rows


# ---------------------------------------------------------------- DNSDB

def test_dnsdb_ping_and_rate_limit(store):
    r = store.api.get('/dnsdb/v2/ping')
    assert r.status == 200 and r.lines() == [{'ping': 'ok'}]
    r = store.api.get('/dnsdb/v2/rate_limit')
    assert r.status == 200
    assert r.lines() == [{'rate': {'reset': 'n/a', 'limit': 'unlimited', 'remaining': 'n/a'}}]


def dnsdb_rrset_objs(objs):
    out = []
    for o in objs:
        assert set(o) == {'rrname', 'rrtype', 'rdata', 'bailiwick', 'count', 'time_first',
                          'time_last'}, o
        assert isinstance(o['rdata'], list) and o['rrname'].endswith('.')
        out.append(dict(o, rdata=sorted(o['rdata'])))
    return out


def test_dnsdb_rrset_lookups(store):
    m = store.model
    queries = [('www.name.edge.test', None), ('www.name.edge.test.', 'A'),
               ('WWW.Name.Edge.Test', 'A'), ('*.name.edge.test', None),
               ('www.name.*', None), ('*.org', None), ('*.arpa', 'PTR'), ('*.net', 'ANY-DNSSEC')]
    queries += [(n, None) for n in names_by_count(m)[:5]]
    for name, rrtype in queries:
        segs = ['dnsdb', 'v2', 'lookup', 'rrset', 'name', name] + ([rrtype] if rrtype else [])
        objs, end = store.api.saf(path_of(*segs))
        assert end == {'cond': 'succeeded'}
        want = dnsdb_rrsets(m.select('rrset', name_target(name), rrtype))
        assert canon(dnsdb_rrset_objs(objs)) == canon(want), name
        keys = [(o['rrname'], o['rrtype']) for o in objs]
        assert len(keys) == len(set(keys)), 'an RRset in two objects'
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name',
                                    'www.name.edge.test', 'A'))
    assert objs == [{'count': 7, 'time_first': 1599999995, 'time_last': 1600000020,
                     'rrname': 'www.name.edge.test.', 'rrtype': 'A',
                     'bailiwick': 'name.edge.test.',
                     'rdata': ['192.0.2.10', '192.0.2.11', '192.0.2.12']}]
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', 'name.edge.test'))
    assert {o['rrtype']: o['rdata'] for o in objs} == {
        'SOA': ['ns1.name.edge.test. hostmaster.name.edge.test. 1 7200 3600 1209600 300'],
        'NS': ['ns1.name.edge.test.'], 'MX': ['10 mail.name.edge.test.']}
    assert {o['bailiwick'] for o in objs} == {'edge.test.'}


def test_dnsdb_rrset_bailiwick_filter(store):
    path = ('dnsdb', 'v2', 'lookup', 'rrset', 'name')
    objs, end = store.api.saf(path_of(*path, '*.edge.test', 'ANY', 'name.edge.test'))
    assert end['cond'] == 'succeeded'
    assert {o['rrname'] for o in objs} == {'www.name.edge.test.', 'alias.name.edge.test.'}
    assert {o['bailiwick'] for o in objs} == {'name.edge.test.'}
    objs, _ = store.api.saf(path_of(*path, '*.edge.test', 'A', 'ip.edge.test.'))
    assert {o['rrname'] for o in objs} == {
        fqdn(r['rrname']) for r in store.model.select('rrset', name_target('*.ip.edge.test'), 'A')}
    objs, _ = store.api.saf(path_of(*path, 'www.name.edge.test', 'A', 'edge.test'))
    assert objs == []
    store.api.error(path_of(*path, 'www.name.edge.test', 'A', 'bad..name'))


def test_dnsdb_rrset_limit_and_offset_count_rrsets(store):
    """limit and offset count results, and a result of an rrset lookup is
    an RRset: never one cut in two."""
    path = path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', '*.name.edge.test')
    want = dnsdb_rrsets(store.model.select('rrset', name_target('*.name.edge.test')))
    assert len(want) == 2 and max(len(o['rdata']) for o in want) == 3
    whole, end = store.api.saf(path)
    assert end == {'cond': 'succeeded'} and canon(dnsdb_rrset_objs(whole)) == canon(want)
    for limit in (1, 2, 3):
        objs, end = store.api.saf(path, {'limit': limit})
        assert objs == whole[:limit], limit
        assert end['cond'] == ('limited' if limit < 2 else 'succeeded'), limit
        if end['cond'] == 'limited':
            assert end['msg']
    for offset in (0, 1, 2, 3):
        objs, end = store.api.saf(path, {'offset': offset})
        assert objs == whole[offset:] and end['cond'] == 'succeeded'
    objs, end = store.api.saf(path, {'offset': 1, 'limit': 1})
    assert objs == whole[1:2] and end['cond'] == 'succeeded'
    # a wide one, page by page with offset as DNSDB clients do
    path = path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', '*.net')
    whole, end = store.api.saf(path)
    pages, offset = [], 0
    while True:
        objs, end = store.api.saf(path, {'limit': 9, 'offset': offset})
        pages += objs
        offset += len(objs)
        if end['cond'] == 'succeeded':
            break
        assert end['cond'] == 'limited' and len(objs) == 9
    assert pages == whole


def test_dnsdb_rdata_lookups(store):
    m = store.model
    for name in ('www.name.edge.test', '*.name.edge.test', 'ns1.*', '*.arpa', '*.net'):
        for rrtype in (None, 'CNAME', 'SOA', 'PTR'):
            segs = ['dnsdb', 'v2', 'lookup', 'rdata', 'name', name] + ([rrtype] if rrtype else [])
            objs, end = store.api.saf(path_of(*segs))
            assert end == {'cond': 'succeeded'}
            for o in objs:
                assert set(o) == {'rrname', 'rrtype', 'rdata', 'count', 'time_first',
                                  'time_last'} and isinstance(o['rdata'], str)
            want = [dnsdb_rdata_obj(r) for r in m.select('rdata_name', name_target(name), rrtype)]
            assert canon(objs) == canon(want), segs
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'name',
                                    'www.name.edge.test'))
    assert sorted((o['rrname'], o['rdata']) for o in objs) == [
        ('alias.name.edge.test.', 'www.name.edge.test.'),
        ('alias.other.test.', 'www.name.edge.test.')]
    for rng in ('10.0.0.0-10.255.255.255', '192.0.2.1', '::ffff:192.0.2.1',
                '2001:db8::,32', '2001:db8::,128', '0.0.0.0,0'):
        objs, end = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', rng))
        assert end == {'cond': 'succeeded'}
        want = [dnsdb_rdata_obj(r) for r in m.select('rdata_ip', ip_target(rng.replace(',', '/')))]
        assert canon(objs) == canon(want), rng


def raw_rows(model, rrtype, rdata):
    """Rows whose type (any when None) and whole rdata match."""
    return [r for r in model.t.values() if 'rcode' not in r and r.get('rdata') == rdata and
            (rrtype is None or r['rrtype'] == rrtype)]


def test_dnsdb_raw_lookups(store):
    """rdata/raw and rrset/raw: wire bytes in hex (either case), answered
    from the address and name indexes and matched whole; the same answer
    as the equivalent name or ip lookup, in both APIs."""
    m = store.model
    checked = {}
    for r in sorted(m.t.values(), key=lambda r: (r['rrtype'], r['rrname'], r.get('rdata', ''))):
        t = r['rrtype']
        if 'rcode' in r or t not in ('A', 'AAAA', 'CNAME', 'NS', 'MX', 'SOA') or \
                checked.get(t, 0) >= 4:
            continue
        checked[t] = checked.get(t, 0) + 1
        hx = rdata_wire(t, r['rdata']).hex()
        want = [dnsdb_rdata_obj(x) for x in raw_rows(m, t, r['rdata'])]
        for h in (hx, hx.upper()):
            objs, end = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw', h, t))
            assert end == {'cond': 'succeeded'}
            assert canon(objs) == canon(want), (t, r['rdata'])
        if t in ('A', 'AAAA', 'CNAME', 'NS'):
            # without a type: an address of its own type, or any type's rdata
            # that is just this name
            objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw', hx))
            anyt = raw_rows(m, t if t in ('A', 'AAAA') else None, r['rdata'])
            assert canon(objs) == canon([dnsdb_rdata_obj(x) for x in anyt]), (t, r['rdata'])
        lines, _ = store.api.native(path_of('api', 'v1', 'rdata', 'raw', hx, t))
        assert_rows(lines, [native_row(x) for x in raw_rows(m, t, r['rdata'])], 'native raw')
        summ, end = store.api.saf(path_of('dnsdb', 'v2', 'summarize', 'rdata', 'raw', hx, t))
        assert summ[0]['count'] == sum(x['count'] for x in raw_rows(m, t, r['rdata']))
    assert all(checked.get(t) for t in ('A', 'AAAA', 'CNAME', 'MX', 'SOA')), checked
    # a mapped IPv6 address is found where its IPv4 form is indexed
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw',
                                    ('00' * 10 + 'ffff' + 'c0000201'), 'AAAA'))
    assert canon(objs) == canon([dnsdb_rdata_obj(x) for x in
                                 raw_rows(m, 'AAAA', '::ffff:192.0.2.1')])
    # rrset/raw: an owner in wire form, any case
    for name, t in (('www.name.edge.test', None), ('www.name.edge.test', 'A'),
                    ('WWW.Name.EDGE.test', 'A')):
        segs = [wire_name(name).hex()] + ([t] if t else [])
        objs, end = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'raw', *segs))
        same, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', name.lower(),
                                        *([t] if t else [])))
        assert end == {'cond': 'succeeded'} and objs and canon(objs) == canon(same)
    # what cannot be answered is said so
    txt = rdata_wire('TXT', '"abc"').hex()
    assert 'not indexed' in store.api.error(
        path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw', txt, 'TXT'), status=501)
    for bad in ('c00002', 'c0000201zz', 'c000020', ''):
        store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw', bad or '%20', 'A'))
    # no type, and neither an address nor a name
    store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw',
                            rdata_wire('TXT', '"abcd"').hex()))
    store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'raw', 'c0000201'))
    store.api.error(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'raw', 'c0000201', 'BOGUS'))


def test_dnsdb_humantime_and_aggr(store):
    path = path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', 'www.name.edge.test', 'A')
    objs, _ = store.api.saf(path, {'humantime': 'true'})
    objs_h = objs
    assert objs[0]['time_first'] == time.strftime('%Y-%m-%d %H:%M:%S',
                                                  time.gmtime(1599999995))
    assert objs[0]['time_last'] == '2020-09-13 12:27:00'
    plain, _ = store.api.saf(path)
    assert store.api.saf(path, {'humantime': 'false'})[0] == plain
    assert store.api.saf(path, {'aggr': 'true'})[0] == plain
    assert store.api.saf(path, {'aggr': 'false'})[0] == plain
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'summarize', 'rrset', 'name',
                                    'www.name.edge.test'), {'humantime': 'true'})
    assert objs[0]['time_first'] == '2020-09-13 12:26:35'
    objs, _ = store.api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', '192.0.2.77'),
                            {'humantime': 'true'})
    assert objs[0]['time_last'] == time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(1650000400))
    assert store.api.saf(path, {'humantime': '1'})[0] == objs_h
    for bad in ('yes', '2', 'TRUE '):
        store.api.error(path, {'humantime': bad})
    store.api.error(path, {'aggr': 'maybe'})


def test_dnsdb_limited_is_said_in_the_stream(store):
    path = path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', '0.0.0.0,0')
    whole, end = store.api.saf(path)
    assert end == {'cond': 'succeeded'} and len(whole) > 10
    objs, end = store.api.saf(path, {'limit': 10})
    assert objs == whole[:10] and end['cond'] == 'limited' and end['msg']
    objs, end = store.api.saf(path, {'limit': len(whole)})
    assert objs == whole and end == {'cond': 'succeeded'}


# ---------------------------------------------------------------- paths and errors

@pytest.mark.parametrize('path', [
    '/nope', '/api', '/api/v1', '/api/v1/nope/x', '/api/v2/rrset/x', '/api/v1/rdata/x/y',
    '/api/v1/summarize/nope/x', '/dnsdb/v2/nope', '/dnsdb/v2/lookup/nope/name/x',
    '/dnsdb/v2/lookup/rrset/nope/x', '/dnsdb/v2', '/dnsdb/v1/ping', '/metrics/x'])
def test_unknown_paths_get_404_in_json(store, path):
    store.api.error(path, status=404, dnsdb=path.startswith('/dnsdb/v2'))


@pytest.mark.parametrize('segs', [
    ('api', 'v1', 'rrset'), ('api', 'v1', 'rrset', 'a..b'), ('api', 'v1', 'rrset', '*.'),
    ('api', 'v1', 'rrset', '*'), ('api', 'v1', 'rrset', 'foo.*.com'),
    ('api', 'v1', 'rrset', '*foo.com'), ('api', 'v1', 'rrset', '**.com'),
    ('api', 'v1', 'rrset', 'x' * 64 + '.com'), ('api', 'v1', 'rrset', 'a.b', 'A', 'c'),
    ('api', 'v1', 'rdata', 'name'), ('api', 'v1', 'rdata', 'name', '*.*'),
    ('api', 'v1', 'nxdomain', 'www.*'), ('api', 'v1', 'summarize', 'rrset'),
    ('dnsdb', 'v2', 'lookup', 'rrset', 'name'), ('dnsdb', 'v2', 'lookup', 'rrset', 'name',
                                                  'a..b'),
    ('dnsdb', 'v2', 'lookup', 'rdata', 'name', 'x.com', 'A', 'extra'),
    ('dnsdb', 'v2', 'lookup', 'rrset', 'name', 'a.b', 'A', 'c.d', 'e')],
    ids=lambda s: '/'.join(s))
def test_malformed_lookups_get_400_in_json(store, segs):
    store.api.error(path_of(*segs))


def test_health_paths_share_the_port(store):
    r = store.api.get('/api/v1/sites')
    assert r.status == 200
    assert {s['site'] for s in r.json()['sites']} >= {'fra', 'ams'}
    r = store.api.get('/metrics')
    assert r.status == 200 and b'almanac_http_requests_total' in r.body


# ---------------------------------------------------------------- access control

def keys_file(path, text):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o600)
    return str(path)


def tls_ctx(pki, cert=None):
    ctx = ssl.create_default_context(cafile=pki.ca)
    if cert:
        ctx.load_cert_chain(*cert)
    return ctx


@pytest.fixture(scope='module')
def secured(pki, tmp_path_factory):
    """HTTPS (certificate from almanac-pki), API keys, on all addresses."""
    tmp = tmp_path_factory.mktemp('secured')
    keys = keys_file(tmp / 'keys', '# analysts\n%s alice\n' % KEY1)
    crt, key = pki.agg
    port = free_port()
    agg = Aggregator(pki, tmp / 'db', '--http', '0.0.0.0:%d' % port, '--api-keys', keys,
                     '--http-cert', crt, '--http-key', key).start()
    agg.http_port, agg.keys = port, keys
    placed = placed_records(int(time.time()))
    for site in ('fra', 'ams'):
        batchsend(agg, pki, 'b-sec-' + site, site, [o for s, o in placed if s == site], tmp)
    yield agg
    assert agg.stop() == 0, ''.join(agg.log[-50:])


def test_api_keys_required_in_each_api_format(secured, pki):
    api = Api(secured.http_port, ctx=tls_ctx(pki))
    rrset = path_of('api', 'v1', 'rrset', 'www.name.edge.test')
    dnsdb = path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', 'www.name.edge.test')
    for headers in ({}, {'X-API-Key': KEY2}, {'X-API-Key': ''}):
        r = api.get(rrset, headers=headers)
        assert r.status == 401 and list(r.json()) == ['error'], r.body
        r = api.get(dnsdb, headers=headers)
        assert r.status == 401
        e = r.json()
        assert e['cond'] == 'failed' and 'key' in e['msg'].lower()
        for p in ('/nope', '/dnsdb/v2/ping', '/api/v1/sites', '/metrics'):
            assert api.get(p, headers=headers).status == 401
    api.key = KEY1
    rows, _ = api.native(rrset)
    assert len(rows) == 3
    objs, end = api.saf(dnsdb)
    assert end == {'cond': 'succeeded'} and len(objs) == 1
    assert api.get('/dnsdb/v2/ping').lines() == [{'ping': 'ok'}]
    api.close()


def test_api_keys_reloaded_on_sighup(secured, pki):
    api = Api(secured.http_port, ctx=tls_ctx(pki))
    path = '/dnsdb/v2/ping'
    assert api.get(path, headers={'X-API-Key': KEY1}).status == 200
    assert api.get(path, headers={'X-API-Key': KEY2}).status == 401

    def reload():
        n = sum('reloaded' in l for l in secured.log)
        secured.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: sum('reloaded' in l for l in secured.log) > n, 'a reload')
    try:
        keys_file(secured.keys, '%s bob\n' % KEY2)
        reload()
        assert api.get(path, headers={'X-API-Key': KEY1}).status == 401
        assert api.get(path, headers={'X-API-Key': KEY2}).status == 200
        # a broken keys file keeps the keys in force
        keys_file(secured.keys, 'short\n')
        reload()
        assert any('API keys stay in force' in l for l in secured.log)
        assert api.get(path, headers={'X-API-Key': KEY2}).status == 200
    finally:
        keys_file(secured.keys, '%s alice\n' % KEY1)
        reload()
    assert api.get(path, headers={'X-API-Key': KEY1}).status == 200
    api.close()


def test_https_only_on_the_https_port(secured, pki):
    plain = Api(secured.http_port, key=KEY1)
    with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
        r = plain.get('/dnsdb/v2/ping')
        assert r.status != 200
    other = Pki(pki.dir + '-other')
    with pytest.raises(ssl.SSLError):
        Api(secured.http_port, ctx=tls_ctx(other), key=KEY1).get('/dnsdb/v2/ping')
    api = Api(secured.http_port, ctx=tls_ctx(pki), key=KEY1)
    for _ in range(3):  # kept alive
        assert api.get('/dnsdb/v2/ping').status == 200
    api.close()


def test_client_certificates_required_with_http_ca(pki, tmp_path, tmp_path_factory):
    crt, key = pki.agg
    port = free_port()
    agg = Aggregator(pki, tmp_path / 'db', '--http', '127.0.0.1:%d' % port, '--http-cert', crt,
                     '--http-key', key, '--http-ca', pki.ca).start()
    try:
        api = Api(port, ctx=tls_ctx(pki, pki.analyst))
        assert api.get('/dnsdb/v2/ping').lines() == [{'ping': 'ok'}]
        rows, _ = api.native(path_of('api', 'v1', 'rrset', 'x.test'))
        assert rows == []
        api.close()
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
            Api(port, ctx=tls_ctx(pki)).get('/dnsdb/v2/ping')
        stranger = Pki(tmp_path_factory.mktemp('stranger') / 'ca').issue('analyst', 'mallory')
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
            Api(port, ctx=tls_ctx(pki, stranger)).get('/dnsdb/v2/ping')
        assert agg.proc.poll() is None
        # the CLI with the analyst's certificate, and without it
        server = 'https://localhost:%d' % port
        p = almanac('rrset', 'x.test', '--cacert', pki.ca, '--cert', pki.analyst[0], '--key',
                    pki.analyst[1], server=server)
        assert p.returncode == 1 and p.stdout == '', p.stderr
        p = almanac('rrset', 'x.test', '--cacert', pki.ca, server=server)
        assert p.returncode == 2 and p.stderr
    finally:
        assert agg.stop() == 0, ''.join(agg.log[-50:])


@pytest.mark.parametrize('listen', ['0.0.0.0:%d', ':%d', '[::]:%d'])
def test_refuses_non_loopback_without_keys(pki, tmp_path, listen):
    crt, key = pki.agg
    l = listen % free_port()
    p = run([binary('almanac-aggregator'), '--listen', 'tls+tcp://localhost:%d' % free_port(),
             '--http', l, '--db', str(tmp_path / 'db'), '--ca', pki.ca, '--cert', crt,
             '--key', key], timeout=60)
    assert p.returncode != 0 and 'ready' not in p.stderr
    assert '--api-keys' in p.stderr and l in p.stderr, p.stderr


# ---------------------------------------------------------------- the almanac CLI

def almanac(*args, env=None, server=None, timeout=60):
    e = dict(os.environ)
    e.pop('ALMANAC_SERVER', None)
    e.pop('ALMANAC_API_KEY', None)
    e.update(env or {})
    cmd = [binary('almanac')] + (['--server', server] if server else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)


def cli_rows(p):
    assert p.returncode == 0, p.stderr
    return [json.loads(l) for l in p.stdout.splitlines()]


def human(t):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t))


def test_cli_lookups_against_the_real_aggregator(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    m = store.model
    p = almanac('rrset', 'www.name.edge.test', '--json', server=server)
    assert_rows(cli_rows(p), m.select('rrset', name_target('www.name.edge.test')), 'cli rrset')
    p = almanac('rrset', '*.name.edge.test', 'A', '--json', server=server)
    assert_rows(cli_rows(p), m.select('rrset', name_target('*.name.edge.test'), 'A'), 'cli A')
    p = almanac('rrset', '*.net', '--type', 'ANY-DNSSEC', '--json', server=server)
    assert_rows(cli_rows(p), m.select('rrset', name_target('*.net'), 'ANY-DNSSEC'), 'dnssec')
    p = almanac('rdata', 'name', '*.name.edge.test', '--json', server=server)
    assert_rows(cli_rows(p), m.select('rdata_name', name_target('*.name.edge.test')), 'rdname')
    p = almanac('nxdomain', '*.nx.edge.test', '--json', server=server)
    assert_rows(cli_rows(p), m.select('nxdomain', name_target('*.nx.edge.test')), 'nx')
    for cidr in ('10.0.0.0/8', '2001:db8::/32', '9.255.255.255-11.0.0.0', '::ffff:192.0.2.1'):
        p = almanac('rdata', 'ip', cidr, '--json', server=server)
        assert_rows(cli_rows(p), m.select('rdata_ip', ip_target(cidr)), 'cli ' + cidr)
    mx = sorted(r['rdata'] for r in m.t.values() if r['rrtype'] == 'MX' and 'rcode' not in r)[0]
    p = almanac('rdata', 'raw', rdata_wire('MX', mx).hex(), 'MX', '--json', server=server)
    assert_rows(cli_rows(p), [native_row(r) for r in raw_rows(m, 'MX', mx)], 'cli raw')
    for bad in ('abc', 'zz', ''):
        p = almanac('rdata', 'raw', bad, 'MX', server=server)
        assert p.returncode == 2 and 'hex' in p.stderr, p.stderr
    # ALMANAC_SERVER instead of --server
    p = almanac('rrset', 'www.name.edge.test', 'A', '--json', env={'ALMANAC_SERVER': server})
    assert len(cli_rows(p)) == 3


def test_cli_csv(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    p = almanac('rdata', 'ip', '10.0.0.0/8', '--csv', server=server)
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == ['rrname', 'rrtype', 'rdata', 'count', 'time_first', 'time_last', 'sites']
    want = store.model.select('rdata_ip', ip_target('10.0.0.0/8'))
    assert sorted(rows[1:]) == sorted(
        [r['rrname'], r['rrtype'], r['rdata'], str(r['count']), human(r['time_first']),
         human(r['time_last']), ' '.join('%s:%d' % (s, v['count'])
                                          for s, v in r['sites'].items())] for r in want)
    p = almanac('rrset', 'both.site.edge.test', '--csv', server=server)
    sites = list(csv.reader(io.StringIO(p.stdout)))[1][6]
    assert sorted(sites.split(' ')) == ['ams:5', 'fra:2']


def test_cli_all_follows_cursors(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    m = store.model
    for args, kind, target in ((('rrset', '*.net'), 'rrset', name_target('*.net')),
                               (('rdata', 'ip', '0.0.0.0/0'), 'rdata_ip',
                                ip_target('0.0.0.0/0'))):
        p = almanac(*args, '--all', '--limit', '7', '--json', server=server)
        assert_rows(cli_rows(p), m.select(kind, target), 'cli --all %s' % (args,))
    # without --all: one page, and a word that there is more
    p = almanac('rrset', '*.net', '--limit', '7', '--json', server=server)
    assert len(cli_rows(p)) == 7 and 'limit' in p.stderr
    p = almanac('rrset', '*.net', '--all', '--limit', '7', '--site', 'ams', '--json',
                server=server)
    assert_rows(cli_rows(p), m.select('rrset', name_target('*.net'), site='ams'), 'site')


def test_cli_times_overlap_and_strict(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    m = store.model
    q = name_target('*.time.edge.test')
    for args, fences in (
            (('--after', '1500000500'), {'time_last_after': 1500000500}),
            (('--before', '1500000000'), {'time_first_before': 1500000000}),
            (('--after', '1500000000', '--before', '1500000500'),
             {'time_last_after': 1500000000, 'time_first_before': 1500000500}),
            (('--after', '1500000000', '--before', '1500000500', '--strict'),
             {'time_first_after': 1500000000, 'time_last_before': 1500000500}),
            (('--after', '2d'), {'time_last_after': -2 * 86400}),
            (('--after', '2017-07-14T02:40:00Z'), {'time_last_after': 1500000000})):
        p = almanac('rrset', '*.time.edge.test', '--json', *args, server=server)
        want = m.select('rrset', q, fences=fences, now=int(time.time()))
        if want:
            assert_rows(cli_rows(p), want, 'cli %s' % (args,))
        else:
            assert p.returncode == 1 and p.stdout == '', p.stderr


def test_cli_summarize(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    p = almanac('summarize', 'rrset', '*.net', '--json', server=server)
    assert p.returncode == 0, p.stderr
    want = summary(store.model.select('rrset', name_target('*.net')))
    assert json.loads(p.stdout) == dict(want, result='complete')
    p = almanac('summarize', 'rdata', 'ip', '10.0.0.0/8', '--csv', server=server)
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == ['count', 'num_results', 'time_first', 'time_last'] and rows[1][:2] == [
        '9', '3']


def test_cli_exit_codes(store):
    server = 'http://127.0.0.1:%d' % store.agg.http_port
    p = almanac('rrset', 'nothing.edge.test', server=server)
    assert p.returncode == 1 and p.stdout == ''
    p = almanac('summarize', 'rrset', 'nothing.edge.test', '--json', server=server)
    assert p.returncode == 1
    for args in (('rrset',), ('frobnicate', 'x'), ('rrset', 'x', '--bogus'),
                 ('rrset', 'x', '--limit', 'ten')):
        p = almanac(*args, server=server)
        assert p.returncode == 2 and p.stderr, args
    # the server's refusal, with its message
    p = almanac('rrset', 'www.name.edge.test', '--site', 'nowhere', server=server)
    assert p.returncode == 2 and 'nowhere' in p.stderr and '400' in p.stderr, p.stderr
    p = almanac('rdata', 'ip', '10.0.0.0/33', server=server)
    assert p.returncode == 2 and p.stderr
    # nobody listening
    p = almanac('rrset', 'x.test', server='http://127.0.0.1:%d' % free_port())
    assert p.returncode == 2 and p.stderr


def test_cli_https_with_api_key(secured, pki):
    server = 'https://localhost:%d' % secured.http_port
    p = almanac('rrset', 'www.name.edge.test', '--json', '--cacert', pki.ca, server=server,
                env={'ALMANAC_API_KEY': KEY1})
    assert len(cli_rows(p)) == 3
    p = almanac('rrset', 'www.name.edge.test', '--cacert', pki.ca, server=server)
    assert p.returncode == 2 and '401' in p.stderr, p.stderr
    p = almanac('rrset', 'www.name.edge.test', '--cacert', pki.ca, server=server,
                env={'ALMANAC_API_KEY': KEY2})
    assert p.returncode == 2 and '401' in p.stderr
    # without our CA the server is not trusted
    p = almanac('rrset', 'www.name.edge.test', server=server, env={'ALMANAC_API_KEY': KEY1})
    assert p.returncode == 2 and p.stdout == ''
    p = almanac('rdata', 'ip', '10.0.0.0/8', '--all', '--limit', '1', '--json', '--cacert',
                pki.ca, env={'ALMANAC_SERVER': server, 'ALMANAC_API_KEY': KEY1})
    assert {r['rrname'] for r in cli_rows(p)} == {'net0.ip.edge.test', 'bcast.ip.edge.test',
                                                  'mapped10.ip.edge.test'}


# ---------------------------------------------------------------- limits, and ingest during a walk

def test_server_limits_and_the_answer_size_cap(pki, tmp_path):
    """--default-limit, --max-limit and --max-answer-bytes: each cut is
    said (limited, with a cursor), and the cursor resumes without a gap."""
    agg = start_agg(pki, tmp_path / 'db', '--default-limit', '7', '--max-limit', '1000',
                    '--max-answer-bytes', '64k')
    try:
        p, truth = ingest(pki, agg, tmp_path, 's-lim', 'fra', 43, 8000, 300)
        try:
            finish(p)
        finally:
            kill_all([p])
        m = Model()
        for o in load_jsonl(truth):
            m.add(o, 'fra')
        api = Api(agg.http_port)
        path = path_of('api', 'v1', 'rrset', '*.net')
        want = m.select('rrset', name_target('*.net'))
        assert len(want) > 300
        rows, r = api.native(path)
        assert len(rows) == 7 and r.headers['x-almanac-result'] == 'limited'
        rows, r = api.native(path, {'limit': 100000})
        assert r.headers['x-almanac-result'] == 'limited' and r.headers['x-almanac-cursor']
        assert len(r.body) <= 64 * 1024 + 4096 and 100 < len(rows) < len(want)
        # walk by the cursor alone: pages cut by size, none lost
        got, cursor = list(rows), r.headers['x-almanac-cursor']
        while cursor:
            page, r = api.native(path, {'limit': 1000, 'cursor': cursor})
            assert page, 'an empty page before the end'
            got += page
            cursor = r.headers.get('x-almanac-cursor')
            assert (cursor is None) == (r.headers['x-almanac-result'] == 'complete')
        assert_rows(got, want, 'pages cut by --max-answer-bytes')
        objs, end = api.saf(path_of('dnsdb', 'v2', 'lookup', 'rdata', 'ip', '0.0.0.0,0'))
        assert len(objs) == 7 and end['cond'] == 'limited'
        objs, end = api.saf(path_of('dnsdb', 'v2', 'lookup', 'rrset', 'name', '*.net'),
                            {'limit': 100000})
        assert end['cond'] == 'limited' and 10 < len(objs) < len(dnsdb_rrsets(want))
        assert len(json.dumps(objs)) < 64 * 1024
        assert canon(dnsdb_rrset_objs(objs)) == canon(
            o for o in dnsdb_rrsets(want) if (o['rrname'], o['rrtype']) in
            {(x['rrname'], x['rrtype']) for x in objs})
        api.close()
    finally:
        assert agg.stop() == 0, ''.join(agg.log[-50:])


def assert_between(row, final):
    """A row read while ingest went on: fra's figures final (it was done),
    ams's part of what ams ends up with, the totals their merge."""
    for site, s in row['sites'].items():
        f = final['sites'][site]
        if site == 'fra':
            assert s == f, row
        assert s['count'] <= f['count'] and s['time_first'] >= f['time_first'], row
        assert s['time_last'] <= f['time_last'], row
    assert 'fra' in row['sites'] or 'fra' not in final['sites'], row
    v = row['sites'].values()
    assert row['count'] == sum(s['count'] for s in v)
    assert row['time_first'] == min(s['time_first'] for s in v)
    assert row['time_last'] == max(s['time_last'] for s in v)


def test_cursor_walk_while_a_second_sensor_ingests(pki, tmp_path):
    agg = start_agg(pki, tmp_path / 'db')
    procs = []
    try:
        p, t1 = ingest(pki, agg, tmp_path, 's-w1', 'fra', 45, 4000, 300)
        procs.append(p)
        finish(p)
        before, after = Model(), Model()
        for o in load_jsonl(t1):
            before.add(o, 'fra')
            after.add(o, 'fra')
        api = Api(agg.http_port)
        for segs, kind, target in ((('rrset', '*.net'), 'rrset', name_target('*.net')),
                                   (('rdata', 'ip', '0.0.0.0', '0'), 'rdata_ip',
                                    ip_target('0.0.0.0/0'))):
            path = path_of('api', 'v1', *segs)
            summ = path_of('api', 'v1', 'summarize', *segs)
            rows, r = api.native(path, {'limit': 5})
            got, cursor = list(rows), r.headers['x-almanac-cursor']
            n0 = api.get(summ).json()['count']
            p2, t2 = ingest(pki, agg, tmp_path, 's-w2-%s' % segs[0], 'ams', 46 + len(segs),
                            4000, 300, '--batch-size', '50')
            procs.append(p2)
            wait_for(lambda: api.get(summ).json()['count'] > n0, 'new data in the store')
            pages = 1
            while cursor:
                rows, r = api.native(path, {'limit': 5, 'cursor': cursor})
                got += rows
                pages += 1
                cursor = r.headers.get('x-almanac-cursor')
            finish(p2)
            for o in load_jsonl(t2):
                after.add(o, 'ams')
            old = {json.dumps(r, sort_keys=True) for r in before.select(kind, target)}
            new = {json.dumps(r, sort_keys=True) for r in after.select(kind, target)}
            key = lambda r: (r['rrname'], r['rrtype'], r['rdata'])
            keys = [key(r) for r in got]
            assert len(keys) == len(set(keys)), 'a result twice'
            assert {key(json.loads(r)) for r in old} <= set(keys), 'a result missing'
            assert set(keys) <= {key(json.loads(r)) for r in new}
            newk = {key(json.loads(r)): json.loads(r) for r in new}
            for r in got:
                assert_between(r, newk[key(r)])
            assert pages > 3
            # once ingest is over, the same walk is exactly the new answer
            pages = api.walk(path, {}, 5)
            assert_rows([x for pg in pages for x in pg], after.select(kind, target), 'after')
            before = after.copy()
        api.close()
    finally:
        kill_all(procs)
        assert agg.stop() == 0, ''.join(agg.log[-50:])
