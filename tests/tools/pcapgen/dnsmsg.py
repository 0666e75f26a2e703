"""DNS names and messages, written with name compression as servers do it.

A name is a tuple of labels (bytes), most significant last: ('www', 'example',
'com') as (b'www', b'example', b'com'); the root is (). Labels may hold any
byte, including '.', space and upper-case letters.

Compression follows what BIND, Knot and Unbound do: every name written into
the message registers its suffixes (case-insensitively, at offsets below
0x4000), and a later name that may be compressed is written as its new
labels followed by a pointer to the longest suffix already present. So answer
owners equal to the question become a pointer to offset 12, and rdata names
of NS/CNAME/MX/SOA/PTR/SRV share suffixes with earlier names. Names that the
RFCs forbid compressing (SVCB/HTTPS target, RRSIG signer, NSEC next name,
DNAME target, ...) are written in full; rdata.py decides which is which.
"""
import struct

QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
RCODE_NAMES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN',
               4: 'NOTIMP', 5: 'REFUSED'}
CLASS_IN, CLASS_CH = 1, 3


def name(text):
    """'www.example.com' -> (b'www', b'example', b'com'); '.' or '' -> ()."""
    text = text.rstrip('.')
    if not text:
        return ()
    return tuple(lab.encode('latin-1') for lab in text.split('.'))


def lower(labels):
    """ASCII-only lower-casing: other bytes stay as they are."""
    return tuple(map(bytes.lower, labels))


def name_wire(labels):
    """Uncompressed wire form."""
    return b''.join(bytes([len(lab)]) + lab for lab in labels) + b'\0'


def wire_length(labels):
    return len(name_wire(labels))


class NameRef:
    """A domain name inside rdata, and whether it may be compressed."""
    __slots__ = ('labels', 'compress')

    def __init__(self, labels, compress):
        self.labels = tuple(labels)
        self.compress = compress


class RR:
    """A resource record; parts is the rdata as bytes and NameRef pieces."""
    __slots__ = ('owner', 'rtype', 'rclass', 'ttl', 'parts')

    def __init__(self, owner, rtype, parts, ttl=300, rclass=CLASS_IN):
        self.owner = tuple(owner)
        self.rtype = rtype
        self.rclass = rclass
        self.ttl = ttl
        self.parts = parts if isinstance(parts, list) else [parts]

    def canonical_rdata(self):
        """Names uncompressed and lower-cased, other bytes unchanged."""
        out = []
        for p in self.parts:
            out.append(name_wire(lower(p.labels)) if isinstance(p, NameRef) else p)
        return b''.join(out)

    def key(self):
        """Owner, type and canonical rdata: what makes two RRs the same."""
        return lower(self.owner), self.rtype, self.canonical_rdata()


class Message:
    """A DNS message; flags is the 16-bit header word minus the RCODE."""

    def __init__(self, ident=0, flags=0, rcode=NOERROR, opcode=0,
                 question=None, answer=(), authority=(), additional=()):
        self.id = ident
        self.flags = flags
        self.rcode = rcode
        self.opcode = opcode
        self.question = question  # (labels, qtype, qclass) or None
        self.answer = list(answer)
        self.authority = list(authority)
        self.additional = list(additional)

    @property
    def is_response(self):
        return bool(self.flags & QR)

    def header_word(self):
        return (self.flags & 0x87F0) | (self.opcode & 15) << 11 | (self.rcode & 15)

    def to_wire(self, compress=True):
        w = Writer(compress)
        qd = 1 if self.question else 0
        w.buf += struct.pack('>HHHHHH', self.id, self.header_word(), qd,
                             len(self.answer), len(self.authority),
                             len(self.additional))
        if self.question:
            qname, qtype, qclass = self.question
            w.name(qname, True)
            w.buf += struct.pack('>HH', qtype, qclass)
        for rr in self.answer + self.authority + self.additional:
            w.rr(rr)
        return bytes(w.buf)


class Writer:
    """Message buffer plus the compression table (lower-cased suffix -> offset)."""

    def __init__(self, compress=True):
        self.buf = bytearray()
        self.table = {}
        self.compress = compress

    def name(self, labels, may_compress):
        labels = tuple(labels)
        low = lower(labels)
        if may_compress and self.compress:
            for i in range(len(labels)):
                ptr = self.table.get(low[i:])
                if ptr is not None:
                    self._labels(labels[:i], low)
                    self.buf += struct.pack('>H', 0xC000 | ptr)
                    return
        self._labels(labels, low)
        self.buf.append(0)

    def _labels(self, written, low):
        for i, lab in enumerate(written):
            if len(self.buf) < 0x4000:
                self.table.setdefault(low[i:], len(self.buf))
            if len(lab) > 63:
                raise ValueError('label longer than 63 octets')
            self.buf.append(len(lab))
            self.buf += lab

    def rr(self, rr):
        self.name(rr.owner, True)
        self.buf += struct.pack('>HHIH', rr.rtype, rr.rclass, rr.ttl, 0)
        start = len(self.buf)
        for p in rr.parts:
            if isinstance(p, NameRef):
                self.name(p.labels, p.compress)
            else:
                self.buf += p
        struct.pack_into('>H', self.buf, start - 2, len(self.buf) - start)


def header(ident, word, qd=0, an=0, ns=0, ar=0):
    """A raw 12-byte header, for hand-crafted (often malformed) messages."""
    return struct.pack('>HHHHHH', ident, word, qd, an, ns, ar)


def edns_opt(payload_size=1232, do=False, options=b''):
    """The OPT pseudo-RR; its class is the UDP payload size."""
    return RR((), 41, [options], ttl=0x8000 if do else 0, rclass=payload_size)


def cookie_option(client, server=b''):
    data = client + server
    return struct.pack('>HH', 10, len(data)) + data
