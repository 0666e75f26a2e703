"""`gencap.py bench`: millions of packets fast, for throughput benchmarks.

Each name gets one query frame and one response frame, built once with the
same code as the realistic generator. Per packet only the client port, the
DNS ID and the UDP checksum change: they are adjacent (UDP header, then the
DNS ID), so a record is pcap header + constant prefix + 10 patched bytes +
constant suffix, and the checksum is updated incrementally (RFC 1624).
"""
import itertools
import random
import struct

from . import packets as P, rdata as R
from .dnsmsg import Message, RR, QR, RD, RA, NXDOMAIN, edns_opt
from .truth import Truth, Counters, response_tuples

BASE_TIME_US = 1704067200 * 10**6
RESOLVER4, RESOLVER6 = '10.0.0.53', '2001:db8:53::53'
TLDS = ('com', 'net', 'org', 'de', 'io')
HOSTS = ('www', 'api', 'cdn', 'img', 'mail', 'app', 'static', 'm')
# (kind, share): what the names are and what clients ask about them.
MIX = (('A', 50), ('AAAA', 18), ('CNAME', 12), ('MX', 6), ('TXT', 6), ('NX', 8))


def _answer(kind, qn, i, rng):
    """(qtype, rcode, answer, authority) for name number i."""
    a4 = lambda j: '198.18.%d.%d' % (j >> 8 & 255, j & 255 or 1)
    zone = qn[1:]
    if kind == 'A':
        return 1, 0, [RR(qn, *R.A(a4(i + k * 7919))) for k in range(1 + (i % 3 == 0))], []
    if kind == 'AAAA':
        return 28, 0, [RR(qn, *R.AAAA('2001:db8:%x::%x' % (i >> 16, i & 0xFFFF)))], []
    if kind == 'CNAME':
        target = (b'e%d' % i, b'edge', b'cdn-bench', b'net')
        return 1, 0, [RR(qn, *R.CNAME(target)), RR(target, *R.A(a4(i * 31)))], []
    if kind == 'MX':
        return 15, 0, [RR(qn, *R.MX(10, (b'mx1',) + zone)),
                       RR(qn, *R.MX(20, (b'mx2',) + zone))], []
    if kind == 'TXT':
        return 16, 0, [RR(qn, *R.TXT('v=spf1 ip4:198.18.0.0/15 -all'))], []
    soa = RR(zone, *R.SOA((b'ns1',) + zone, (b'hostmaster',) + zone, 2024010101))
    return rng.choice((1, 28)), NXDOMAIN, [], [soa]


def _template(src, dst, sport, dport, dns):
    """Frame with port/ID zeroed, and where the patched 10 bytes begin."""
    ip = P.ip_packet(src, dst, P.PROTO_UDP, P.udp(src, dst, sport, dport, dns))
    frame = P.ethernet(ip, P.ethertype_of(ip))
    off = 14 + (40 if P.is_v6(src) else 20)
    sp, dp, ulen, ck = struct.unpack_from('>HHHH', frame, off)
    return frame[:off], frame[off + 10:], dp if sport == 0 else sp, ulen, (~ck & 0xFFFF), len(frame)


def _checksum(partial, port, ident):
    """UDP checksum once port and ID words are added to the template's sum."""
    s = partial + port + ident
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF or 0xFFFF


def build_templates(rng, n_names, with_truth):
    kinds = list(itertools.chain.from_iterable([k] * s for k, s in MIX))
    out = []
    for i in range(n_names):
        kind = kinds[rng.randrange(len(kinds))]
        qn = (HOSTS[i % len(HOSTS)].encode(), b'site%d' % i, TLDS[i % len(TLDS)].encode())
        qtype, rcode, an, ns = _answer(kind, qn, i, rng)
        v6 = rng.random() < 0.1
        client = ('2001:db8:c0::%x' % (i % 500 + 1) if v6
                  else '10.1.%d.%d' % (i % 250, i // 250 % 250 + 1))
        server = RESOLVER6 if v6 else RESOLVER4
        q = Message(0, RD, question=(qn, qtype, 1), additional=[edns_opt(1232)])
        r = Message(0, QR | RD | RA, rcode, question=q.question, answer=an,
                    authority=ns, additional=[edns_opt(1232)])
        qt = _template(client, server, 0, 53, q.to_wire())
        rt = _template(server, client, 53, 0, r.to_wire())
        out.append((qt, rt, sorted(response_tuples(r)) if with_truth else (), rcode))
    return out


def generate(out, n_packets, n_names, seed=1, duration=600, truth_path=None,
             counters_path=None):
    rng = random.Random(seed)
    templates = build_templates(rng, n_names, truth_path is not None)
    pairs = n_packets // 2
    cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(n_names)))
    picks = rng.choices(range(n_names), cum_weights=cum, k=pairs)
    cover = list(range(n_names))
    rng.shuffle(cover)
    for j in range(min(n_names, pairs // 4)):   # every name at least once
        picks[4 * j] = cover[j]
    hdr = struct.Struct('<IIII').pack
    mid = struct.Struct('>HHHHH').pack
    step = duration * 10**6 / max(1, pairs)
    truth = Truth() if truth_path else None
    counters = Counters()
    nx = 0
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        buf = []
        for i, k in enumerate(picks):
            (qpre, qsuf, qport, qlen, qsum, qsize), (rpre, rsuf, rport, rlen, rsum, rsize), \
                keys, rcode = templates[k]
            bits = rng.getrandbits(32)
            port = bits >> 16 | 0x400
            ident = bits & 0xFFFF
            t = BASE_TIME_US + int(i * step)
            buf += (hdr(t // 1000000, t % 1000000, qsize, qsize), qpre,
                    mid(port, qport, qlen, _checksum(qsum, port, ident), ident), qsuf)
            t += 1 + int((bits & 0x1FF) * step / 1024)  # the response, before the next query
            buf += (hdr(t // 1000000, t % 1000000, rsize, rsize), rpre,
                    mid(rport, port, rlen, _checksum(rsum, port, ident), ident), rsuf)
            if truth is not None:
                for key in keys:
                    truth.add(key, t // 1000000)
            if len(buf) > 40000:
                f.write(b''.join(buf))
                buf = []
            nx += rcode == NXDOMAIN
        f.write(b''.join(buf))
    counters.inc('dns_queries', pairs)
    counters.inc('dns_responses', pairs)
    counters.inc('responses_nxdomain', nx)
    counters.inc('responses_noerror', pairs - nx)
    counters.inc('packets_seen', 2 * pairs)
    if truth is not None:
        truth.write(truth_path)
    if counters_path:
        counters.write(counters_path)
    return 2 * pairs
