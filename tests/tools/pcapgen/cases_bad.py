"""tests/data cases with malformed DNS messages, built byte by byte.

Each file: for every malformed response, the well-formed query it answers;
then one good exchange, so a test also sees the decoder carry on. The
malformation sits in the header, the question or the answer section (what
the decoder always needs), so the counter is certain; dns_responses and
responses_noerror are left out because the contract does not say whether a
response that fails to parse counts as one.
"""
import struct

from . import rdata as R
from .crafted import Case, case, query, reply
from .dnsmsg import RR, header, name, name_wire

QNAME = name('www.example.com')
QWIRE = name_wire(QNAME)
ANSWER_AT = 12 + len(QWIRE) + 4          # offset of the first answer's owner


def response(answers, ident, an=None, qwire=QWIRE):
    """Header + question + raw answer bytes; an overrides ANCOUNT."""
    count = an if an is not None else len(answers)
    return (header(ident, 0x8180, 1, count) + qwire + struct.pack('>HH', 1, 1) +
            b''.join(answers))


def rr(owner, rtype, rdata, rdlength=None, rclass=1):
    rdl = len(rdata) if rdlength is None else rdlength
    return owner + struct.pack('>HHIH', rtype, rclass, 300, rdl) + rdata


def ptr(offset):
    return struct.pack('>H', 0xC000 | offset)


def bad_case(filename, about, counter, wires, qname=QNAME):
    c = Case(filename, about)
    for i, wire in enumerate(wires):
        c.send(query(qname, 1, struct.unpack('>H', wire[:2])[0] if len(wire) >= 2
                     else 0x5000 + i, edns=False))
        c.raw(wire)
        c.port += 1
    good = query(name('ok.example.com'), 1, 0x5FFF)
    c.exchange(good, reply(good, [RR(good.question[0], *R.A('192.0.2.99'))]))
    c.counters.inc(counter, len(wires))
    c.omit.update(('dns_responses', 'responses_noerror'))
    return c


@case
def dns_pointer_loop():
    own = ANSWER_AT
    rdata_at = own + 2 + 10
    wires = [
        response([rr(ptr(own), 1, b'\xc0\x00\x02\x01')], 0x5100),          # owner -> itself
        response([rr(ptr(12), 5, ptr(rdata_at))], 0x5101),                 # rdata -> itself
        response([rr(ptr(rdata_at), 5, ptr(own))], 0x5102),               # owner <-> rdata
    ]
    return bad_case('dns_pointer_loop.pcap', 'compression loops: an owner pointing at '
                    'itself, a CNAME target pointing at itself, owner and target '
                    'pointing at each other', 'malformed_dns_pointer', wires)


@case
def dns_pointer_forward():
    target_at = ANSWER_AT + 2 + 10
    wire = response([rr(ptr(target_at), 5, name_wire(name('target.example.net')))], 0x5200)
    return bad_case('dns_pointer_forward.pcap', 'an owner name that points forward '
                    '(to a valid name in the rdata after it): pointers must point back',
                    'malformed_dns_pointer', [wire])


@case
def dns_name_too_long():
    long_q = (b'q' * 63, b'r' * 63, b's' * 63, b'example', b'com')   # 205 octets
    qw = name_wire(long_q)
    compressed = bytes([63]) + b'x' * 63 + ptr(12)                # 64 + 205 = 269
    flat = b''.join(bytes([63]) + c * 63 for c in (b'a', b'b', b'c', b'd')) + b'\0'  # 257
    wires = [response([rr(compressed, 1, b'\xc0\x00\x02\x01')], 0x5300, qwire=qw),
             response([rr(flat, 1, b'\xc0\x00\x02\x02')], 0x5301)]
    c = bad_case('dns_name_too_long.pcap', 'owner names over 255 octets: 64 octets '
                 'before a pointer to a 205-octet question name, and four 63-octet '
                 'labels uncompressed (257)', 'malformed_dns_name_too_long', wires[:1],
                 qname=long_q)
    c.send(query(QNAME, 1, 0x5301, edns=False))
    c.raw(wires[1])
    c.counters.inc('malformed_dns_name_too_long')
    return c


@case
def dns_label_type_reserved():
    wires = [response([rr(b'\x41' + b'x' * 8 + b'\0', 1, b'\xc0\x00\x02\x01')], 0x5400),
             response([rr(b'\x81\x20', 1, b'\xc0\x00\x02\x01')], 0x5401)]
    return bad_case('dns_label_type_reserved.pcap', 'owner names starting with label '
                    'type 0x40 (extended, RFC 6891) and 0x80 (reserved)',
                    'malformed_dns_label', wires)


@case
def dns_rr_past_message_end():
    a = rr(ptr(12), 1, b'\xc0\x00\x02\x01')
    wires = [response([a], 0x5500, an=2),                       # ANCOUNT 2, one RR
             response([a[:-2]], 0x5501),                          # A rdata cut in half
             response([a[:8]], 0x5502),                           # RR header cut in TTL
             response([rr(ptr(12), 16, b'\x05hello', rdlength=40)], 0x5503)]
    return bad_case('dns_rr_past_message_end.pcap', 'answers running past the end '
                    'of the message: ANCOUNT one too many, rdata cut, RR header cut, '
                    'rdlength 40 with 6 bytes left', 'malformed_dns_truncated', wires)


@case
def dns_header_truncated():
    c = Case('dns_header_truncated.pcap', 'UDP from port 53 with 7 and 11 bytes of '
             'payload: shorter than a DNS header')
    for i, size in enumerate((7, 11)):
        c.send(query(QNAME, 1, 0x5600 + i, edns=False))
        c.raw(header(0x5600 + i, 0x8180, 1, 1)[:size])
        c.port += 1
    c.counters.inc('malformed_dns_short', 2)
    c.omit.update(('dns_responses', 'responses_noerror'))
    return c


@case
def dns_a_bad_rdlength():
    wire = response([rr(ptr(12), 1, b'\xc0\x00\x02\x01\x05')], 0x5700)
    return bad_case('dns_a_bad_rdlength.pcap', 'an A record with rdlength 5',
                    'malformed_dns_rdata', [wire])


@case
def dns_rdata_shape_errors():
    mx_name = b'\x04mail' + ptr(16)
    wires = [
        response([rr(ptr(12), 28, bytes(15))], 0x5800),                     # AAAA of 15
        response([rr(ptr(12), 15, b'\x00\x0a' + mx_name + b'\x00')], 0x5801),  # byte left
        response([rr(ptr(12), 5, b'\x05alias' + ptr(16), rdlength=4) + b'\x00'], 0x5802),
        response([rr(ptr(12), 64, b'\x00\x01\x00' + b'\x00\x03\x00\x04\x01\xbb')], 0x5803),
        response([rr(ptr(12), 6, b'\x00\x00' + struct.pack('>4I', 1, 2, 3, 4))], 0x5804),
        response([rr(ptr(12), 16, b'\x09short')], 0x5805),
    ]
    return bad_case('dns_rdata_shape_errors.pcap', 'rdata not of its type\'s shape: '
                    'AAAA of 15 bytes, MX with a byte after the name, CNAME whose '
                    'name runs past rdlength, SVCB port param running past the end, '
                    'SOA missing a field, TXT string longer than the rdata',
                    'malformed_dns_rdata', wires)
