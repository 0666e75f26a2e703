"""Small hand-made captures for tests/data (mkdata.py), and their truth.

A Case collects frames at fixed timestamps and, for every well-formed DNS
message it sends, updates the expected observations (truth.py's rules) and
the counters. Malformed messages go out as raw bytes through raw(), which
counts nothing: each case states the malformed_* counter it expects.
Writing case NAME.pcap (or .pcapng) also writes NAME.expected and
NAME.counters, and NAME.sections_all.expected when the case asks for the
`--sections answer,authority,additional` view as well.
"""
import os

from . import flows, packets as P
from .dnsmsg import Message, QR, RD, RA, AA, NOERROR, edns_opt
from .pcapfile import PcapWriter, PcapngWriter
from .truth import Truth, Counters, SECTIONS

T0 = 1700000000 * 10**9
MS = 10**6
C4, S4 = '192.0.2.10', '192.0.2.53'
C6, S6 = '2001:db8::10', '2001:db8::53'
CASES = []


def case(fn):
    """Registers a function returning a Case (in definition order)."""
    CASES.append(fn)
    return fn


def query(qname, qtype, ident=0x1000, qclass=1, edns=True, opcode=0):
    return Message(ident, RD, opcode=opcode, question=(qname, qtype, qclass),
                   additional=[edns_opt(1232)] if edns else [])


def reply(q, answer=(), rcode=NOERROR, authority=(), additional=(), flags=0):
    """The response to q; EDNS echoed when q had it."""
    ad = list(additional) + ([edns_opt(1232)] if q.additional else [])
    return Message(q.id, QR | RD | RA | AA | flags, rcode, opcode=q.opcode,
                   question=q.question, answer=answer, authority=authority,
                   additional=ad)


class Case:
    def __init__(self, filename, about, link='ethernet', fmt='pcap',
                 snaplen=262144, nsec=False, byteorder='<', sections=False):
        self.filename = filename
        self.about = about
        self.link = link
        self.fmt = fmt
        self.snaplen = snaplen
        self.nsec = nsec
        self.byteorder = byteorder
        self.ifaces = [(link, 6)]         # pcapng: (link, tsresol) per IDB
        self.frame_opts = {}              # vlans, af6, null_order for frame()
        self.items = []                   # (ts_ns, frame, orig_len, ifid)
        self.t = T0
        self.ifid = 0
        self.truth = Truth()
        self.all_sections = Truth() if sections else None
        self.counters = Counters()
        self.omit = set()
        self.port = 40000

    # --- frames ---------------------------------------------------------
    def emit(self, frame, orig_len=None, dt=MS):
        self.t += dt
        self.items.append((self.t, frame, orig_len, self.ifid))
        self.counters.inc('packets_seen')

    def ip(self, packet, dt=MS):
        self.emit(P.frame(self.link, packet, **self.frame_opts), dt=dt)

    def udp(self, src, dst, sport, dport, payload, dt=MS, **ipkw):
        dgram = P.udp(src, dst, sport, dport, payload)
        if P.is_v6(src):
            self.ip(P.ipv6(src, dst, P.PROTO_UDP, dgram, ext=ipkw.get('ext', ())), dt)
        else:
            self.ip(P.ipv4(src, dst, P.PROTO_UDP, dgram, ident=ipkw.get('ident', 1),
                           options=ipkw.get('options', b'')), dt)

    # --- DNS ------------------------------------------------------------
    def note(self, msg):
        """Counts a well-formed message sent at self.t; a response updates
        the truth."""
        self.counters.message(msg)
        if msg.is_response:
            sec = self.t // 10**9
            self.truth.add_response(msg, sec)
            if self.all_sections is not None:
                self.all_sections.add_response(msg, sec, SECTIONS)

    def send(self, msg, v6=False, dt=MS, **ipkw):
        """A message over UDP, client to server for a query and back for a
        response."""
        c, s = (C6, S6) if v6 else (C4, S4)
        wire = msg.to_wire()
        if msg.is_response:
            self.udp(s, c, 53, self.port, wire, dt, **ipkw)
        else:
            self.udp(c, s, self.port, 53, wire, dt, **ipkw)
        self.note(msg)

    def exchange(self, q, r, v6=False, **ipkw):
        self.send(q, v6, **ipkw)
        self.send(r, v6, **ipkw)
        self.port += 1

    def raw(self, wire):
        """Raw response bytes (usually malformed); nothing counted but the
        packet."""
        self.udp(S4, C4, 53, self.port, wire)

    def big_response(self, q, r, v6=False, order=None, ext=(), frag_id=0x4242):
        """A response larger than the MTU, IP-fragmented."""
        self.send(q, v6)
        c, s = (C6, S6) if v6 else (C4, S4)
        frags = flows.udp_datagram(s, c, 53, self.port, r.to_wire(), frag_id,
                                   frag_order=order, ext=ext)
        for f in frags:
            self.ip(f, dt=MS // 10)
        self.note(r)
        self.counters.inc('frag_reassembled')
        self.port += 1
        return len(frags)

    def tcp_flow(self, qs, rs, v6=False, qcuts=(), rcuts=(), rorder=None,
                 rretrans=(), qretrans=(), ext=()):
        """One DNS-over-TCP connection carrying queries qs and responses rs."""
        c, s = (C6, S6) if v6 else (C4, S4)
        conn = flows.TcpConn(c, s, self.port, 0x11223344, 0x55667788, ext=ext)
        conn.handshake(rtt=2 * MS)
        conn.send('c', flows.framed([q.to_wire() for q in qs]), cuts=qcuts,
                  retransmit=qretrans)
        conn.send('s', flows.framed([r.to_wire() for r in rs]), cuts=rcuts,
                  order=rorder, retransmit=rretrans)
        start = self.t + MS
        for off, pkt in conn.close():
            self.items.append((start + off, P.frame(self.link, pkt, **self.frame_opts),
                               None, self.ifid))
            self.counters.inc('packets_seen')
            self.t = start + off
        for m in list(qs) + list(rs):
            self.note(m)
            self.counters.inc('tcp_messages')
        self.port += 1

    # --- output ---------------------------------------------------------
    def write(self, outdir):
        path = os.path.join(outdir, self.filename)
        with open(path, 'wb') as f:
            if self.fmt == 'pcapng':
                w = PcapngWriter(f)
                for link, res in self.ifaces:
                    w.add_interface(P.LINKTYPE[link], self.snaplen, tsresol=res)
            else:
                w = PcapWriter(f, P.LINKTYPE[self.link], self.snaplen, self.nsec,
                               self.byteorder)
            for ts, frame, orig_len, ifid in self.items:
                w.write(ts, frame, orig_len, ifid=ifid)
        base = os.path.join(outdir, os.path.splitext(self.filename)[0])
        self.truth.write(base + '.expected')
        if self.all_sections is not None:
            self.all_sections.write(base + '.sections_all.expected')
        self.counters.write(base + '.counters', omit=self.omit)
        return path
