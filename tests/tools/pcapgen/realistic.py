"""`gencap.py realistic`: resolver traffic with ground truth and counters.

Clients (IPv4 and IPv6) ask a resolver for names drawn from a Zipf-like
popularity over zones.build()'s entries; the resolver answers as real ones
do (EDNS, 0x20 case echo, CNAME chains, DNSSEC records, NXDOMAIN/NODATA with
SOA, SERVFAIL, REFUSED, TC=1 followed by a TCP retry, IP fragmentation of
large UDP answers, pipelined and reordered TCP). Every DNS message is
emitted exactly once (TCP retransmissions repeat bytes, not messages), so
truth and counters are computed message by message as they are built.
"""
import itertools
import random

from . import flows, packets as P, zones
from .dnsmsg import Message, QR, RD, RA, TC, AD, SERVFAIL, REFUSED, edns_opt, cookie_option
from .pcapfile import PcapWriter, PcapngWriter
from .truth import Truth, Counters

BASE_TIME_NS = 1704067200 * 10**9          # 2024-01-01T00:00:00Z
RESOLVER4, RESOLVER6 = '10.0.0.53', '2001:db8:53::53'
LINKS = ('ethernet', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'null', 'loop', 'mixed')
ETHERNETISH = ('ethernet', 'vlan', 'qinq', 'sll', 'sll2', 'mixed')
SECOND = 10**9


class Capture:
    """Collects (ts, frame) per flow and frames IP packets for the link."""

    def __init__(self, rng, link):
        self.rng = rng
        self.link = link
        self.items = []
        self.n = itertools.count()

    def flow_link(self):
        """(link name, vlans, interface) for one flow: mixed mode tags some."""
        r = self.rng.random()
        if self.link == 'vlan':
            return 'ethernet', [(P.ETH_8021Q, 10)], 0
        if self.link == 'qinq':
            return 'ethernet', [(P.ETH_8021AD, 100), (P.ETH_8021Q, 10)], 0
        if self.link != 'mixed':
            return self.link, [], 0
        vlans = ([] if r < 0.6 else [(P.ETH_8021Q, 20)] if r < 0.85
                 else [(P.ETH_8021AD, 200), (P.ETH_8021Q, 30)])
        return 'ethernet', vlans, self.rng.randrange(2)

    def add_flow(self, start_ns, pkts, keep_in_second=False, raw_frames=False):
        """pkts: [(offset_ns, ip_packet or frame)]; returns the start used."""
        span = pkts[-1][0] if pkts else 0
        if keep_in_second and start_ns // SECOND != (start_ns + span) // SECOND:
            start_ns = (start_ns // SECOND + 1) * SECOND + 1000000
        link, vlans, ifid = self.flow_link()
        for off, pkt in pkts:
            # DLT_NULL as macOS writes it, DLT_LOOP as OpenBSD does; for SLL
            # the first packet of a flow (a query) is "sent by us".
            af6 = P.AF_INET6_BSD if link == 'loop' else P.AF_INET6_DARWIN
            f = pkt if raw_frames else P.frame(link, pkt, vlans=vlans, af6=af6,
                                               pkttype=4 if off == 0 else 0)
            self.items.append((start_ns + off, next(self.n), f, ifid))
        return start_ns

    def write(self, path, fmt):
        lt = P.LINKTYPE['ethernet' if self.link in ('vlan', 'qinq', 'mixed')
                        else self.link]
        with open(path, 'wb') as f:
            if fmt == 'pcapng':
                w = PcapngWriter(f)
                w.add_interface(lt, name='eth0')
                if self.link == 'mixed':            # a second port, in nanoseconds
                    w.add_interface(lt, tsresol=9, name='eth1')
            else:
                w = PcapWriter(f, lt, nsec=(fmt == 'pcap-nsec'))
            for ts, _, frame, ifid in sorted(self.items):
                w.write(ts, frame, ifid=ifid if fmt == 'pcapng' else 0)
        return len(self.items)


class Generator:
    def __init__(self, seed, packets, link, duration, sections):
        self.rng = random.Random(seed)
        self.budget = packets
        self.sections = sections
        self.cap = Capture(self.rng, link)
        self.truth = Truth()
        self.counters = Counters()
        specials, self.entries = zones.build(self.rng, max(300, min(30000, packets // 6)))
        # A and AAAA dominate; DNSKEY is popular enough to fragment answers;
        # the one-off names sit at ranks 25, 50, ... so every capture has them.
        weight = {1: 1, 28: 1, 48: 1.5}
        self.entries.sort(key=lambda e: self.rng.random() * weight.get(e.qtype, 6))
        for i, e in enumerate(specials):
            self.entries.insert(25 * (i + 1), e)
        self.cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(self.entries))))
        self.clients4 = ['10.1.%d.%d' % (i // 200, i % 200 + 10) for i in range(60)]
        self.clients6 = ['2001:db8:c0::%x' % (i + 0x10) for i in range(20)]
        self.gap = duration * SECOND / max(1, packets / 2.3)
        self.now = BASE_TIME_NS
        self.ident = itertools.count(self.rng.randrange(65536))    # IPv4/IPv6 frag IDs
        self.tcp_ports = set()

    # --- messages -------------------------------------------------------
    def query(self, entry, tcp=False):
        rng = self.rng
        qname = zones.mixed_case(rng, entry.qname) if rng.random() < 0.25 else entry.qname
        edns = rng.random() < 0.85 or tcp
        opts = cookie_option(rng.randbytes(8)) if edns and rng.random() < 0.4 else b''
        bufsize = rng.choice((1232, 1232, 4096, 4096, 1400, 512)) if edns else 512
        do = rng.random() < 0.3 or entry.qtype in (43, 48)     # validators ask with DO
        ad = [edns_opt(bufsize, do=do, options=opts)] if edns else []
        return Message(rng.randrange(65536), RD, question=(qname, entry.qtype, entry.qclass),
                       additional=ad)

    def answer(self, entry, q):
        do = bool(q.additional and q.additional[0].ttl & 0x8000)
        ctx = zones.Ctx((self.now - BASE_TIME_NS) / SECOND, self.rng, do)
        r = self.rng.random()
        if r < 0.015:
            a = zones.Answer(SERVFAIL, [], [], [])
        elif r < 0.025:
            a = zones.Answer(REFUSED, [], [], [])
        else:
            a = entry.respond(ctx)
        flags = QR | RD | RA | (AD if do and a.answer else 0)
        ad = list(a.additional) + ([edns_opt(1232)] if q.additional else [])
        return Message(q.id, flags, a.rcode, question=q.question, answer=a.answer,
                       authority=a.authority, additional=ad)

    def count(self, msg, ts_ns, tcp=False):
        self.counters.message(msg)
        if tcp:
            self.counters.inc('tcp_messages')
        if msg.is_response:
            self.truth.add_response(msg, ts_ns // SECOND, self.sections)

    # --- transactions ---------------------------------------------------
    def endpoints(self):
        if self.rng.random() < 0.25:
            return self.rng.choice(self.clients6), RESOLVER6
        return self.rng.choice(self.clients4), RESOLVER4

    def udp(self, entry, lone=False):
        rng = self.rng
        client, server = self.endpoints()
        port = rng.randrange(1024, 65536)
        q = self.query(entry)
        qw = q.to_wire()
        pkts = [(0, flows.udp_datagram(client, server, port, 53, qw, next(self.ident) & 0xFFFF)[0])]
        resp = None if lone else self.answer(entry, q)
        if resp is not None:
            rw = resp.to_wire()
            limit = q.additional[0].rclass if q.additional else 512
            if len(rw) > limit:
                resp = Message(resp.id, resp.flags | TC, resp.rcode, question=q.question,
                               additional=resp.additional[-1:] if q.additional else [])
                rw = resp.to_wire()
            ext = [P.ext_header(P.IPV6_DSTOPTS)] if P.is_v6(client) and rng.random() < 0.05 else []
            order = rng.choice([None, None, flows.reverse_order, flows.last_first])
            rtt = int(rng.choice([rng.uniform(0.1, 2), rng.uniform(10, 150)]) * 10**6)
            frags = flows.udp_datagram(server, client, 53, port, rw, next(self.ident) & 0xFFFF,
                                       frag_order=order, ext=ext)
            pkts += [(rtt + i * 20000, f) for i, f in enumerate(frags)]
        if len(pkts) > self.budget:
            return None
        frag = len(pkts) > 2
        start = self.cap.add_flow(self.now, pkts, keep_in_second=frag)
        self.count(q, start)
        if resp is not None:
            self.count(resp, start + pkts[-1][0])
            self.counters.inc('frag_reassembled', frag)
        if resp is not None and resp.flags & TC:    # the client retries over TCP
            return len(pkts) + (self.tcp([entry], start + pkts[-1][0] + 300000,
                                         (client, server), len(pkts)) or 0)
        return len(pkts)

    def tcp(self, entries, start, endpoints=None, reserved=0):
        """One connection; several entries are pipelined in one segment."""
        rng = self.rng
        client, server = endpoints or self.endpoints()
        port = rng.randrange(1024, 65536)
        while (client, port) in self.tcp_ports:         # one connection per 4-tuple
            port = rng.randrange(1024, 65536)
        self.tcp_ports.add((client, port))
        conn = flows.TcpConn(client, server, port, rng.getrandbits(32), rng.getrandbits(32))
        conn.handshake(rtt=rng.randrange(500000, 20000000))
        qs = [self.query(e, tcp=True) for e in entries]
        rs = [self.answer(e, q) for e, q in zip(entries, qs)]
        qstream = flows.framed([q.to_wire() for q in qs])
        conn.send('c', qstream, cuts=[2] if rng.random() < 0.3 else [])
        rstream = flows.framed([r.to_wire() for r in rs])
        style = rng.random()
        cuts = [rng.randrange(1, len(rstream)) for _ in range(rng.randrange(1, 4))]
        if style < 0.3:
            cuts.append(1)                      # length prefix split over segments
        order = flows.swap_pair if style > 0.6 else None
        retrans = [0] if rng.random() < 0.3 else []
        if len(rs) > 1 and rng.random() < 0.5:
            cuts = []                           # all responses in one segment
        conn.send('s', rstream, cuts=cuts, order=order, retransmit=retrans)
        pkts = conn.close()
        if len(pkts) > self.budget - reserved:
            return None
        start = self.cap.add_flow(start, pkts, keep_in_second=True)
        for m in qs + rs:
            self.count(m, start + pkts[-1][0], tcp=True)
        return len(pkts)

    def noise(self):
        rng = self.rng
        client = rng.choice(self.clients4)
        if self.cap.link in ETHERNETISH and rng.random() < 0.5:
            arp = P.arp_request(client, '10.0.0.1')
            if self.cap.link in ('sll', 'sll2'):
                frame = (P.sll if self.cap.link == 'sll' else P.sll2)(arp, P.ETH_ARP)
            else:
                frame = P.ethernet(arp, P.ETH_ARP, dst='ff:ff:ff:ff:ff:ff')
            self.cap.add_flow(self.now, [(0, frame)], raw_frames=True)
            self.counters.inc('packets_not_ip')
            return 1
        ntp = bytes([0x23]) + bytes(47)
        ntp_server = '10.0.0.123'
        pkts = [(0, P.ipv4(client, ntp_server, P.PROTO_UDP,
                           P.udp(client, ntp_server, 123, 123, ntp)))]
        self.cap.add_flow(self.now, pkts)
        self.counters.inc('packets_not_dns')
        return 1

    def pick(self):
        return self.entries[self.rng.choices(range(len(self.entries)), cum_weights=self.cum)[0]]

    def step(self):
        rng = self.rng
        r = rng.random()
        if r < 0.03:
            n = self.noise()
        elif r < 0.07:
            n = self.udp(self.pick(), lone=True)
        elif r < 0.10:
            n = self.tcp([self.pick() for _ in range(rng.choice((1, 1, 2, 3)))], self.now)
        else:
            n = self.udp(self.pick())
        if n is None:                           # over budget: one more query instead
            n = self.udp(self.pick(), lone=True)
        self.budget -= n
        self.now += int(rng.expovariate(1.0) * self.gap * n / 2.3) + 1

    def run(self):
        while self.budget > 0:
            self.step()


def generate(out, truth_path, counters_path, seed=1, packets=20000, fmt='pcap',
             link='ethernet', duration=300, sections=('answer',)):
    g = Generator(seed, packets, link, duration, sections)
    g.run()
    g.counters.v['packets_seen'] = g.cap.write(out, fmt)
    if truth_path:
        g.truth.write(truth_path)
    if counters_path:
        # A TC=1 response with RCODE NOERROR may or may not count as NOERROR
        # too; the contract does not say, so that counter is left out.
        g.counters.write(counters_path, omit=('responses_noerror',))
    return g
