"""Carrying DNS messages: UDP exchanges (IP-fragmented when large) and TCP
connections with handshake, segmentation, out-of-order and retransmission.

Every function returns a list of (offset_ns, ip_packet) relative to the
flow's start, in capture order. Callers keep a flow inside one second of
capture time so that "the response's timestamp" is the same whichever
fragment or segment a decoder takes it from.
"""
import struct

from . import packets as P

MSS = 1460


def udp_datagram(src, dst, sport, dport, payload, ident, frag_order=None,
                 mtu=1500, ext=()):
    """One UDP datagram as IP packets; fragmented if it exceeds the MTU.

    frag_order permutes the fragments (e.g. reversed, as Linux once sent
    them); ext are IPv6 extension headers placed before UDP/Fragment.
    """
    dgram = P.udp(src, dst, sport, dport, payload)
    if P.is_v6(src):
        if 40 + sum(2 + len(b) for _, b in ext) + len(dgram) <= mtu:
            return [P.ipv6(src, dst, P.PROTO_UDP, dgram, ext=ext)]
        frags = P.ipv6_fragments(src, dst, P.PROTO_UDP, dgram, ident, mtu, ext)
    else:
        if 20 + len(dgram) <= mtu:
            return [P.ipv4(src, dst, P.PROTO_UDP, dgram, ident=ident)]
        frags = P.ipv4_fragments(src, dst, P.PROTO_UDP, dgram, ident, mtu)
    if frag_order:
        frags = [frags[i] for i in frag_order(len(frags))]
    return frags


def reverse_order(n):
    return list(range(n - 1, -1, -1))


def last_first(n):
    return [n - 1] + list(range(n - 1))


def framed(msgs):
    """DNS-over-TCP stream bytes: each message behind its 2-octet length."""
    return b''.join(struct.pack('>H', len(m)) + m for m in msgs)


def cut(stream, cuts):
    """Splits stream at the given offsets into (offset, bytes) segments,
    then further at MSS."""
    points = sorted(set([0] + [c for c in cuts if 0 < c < len(stream)] + [len(stream)]))
    segs = []
    for a, b in zip(points, points[1:]):
        for off in range(a, b, MSS):
            segs.append((off, stream[off:min(b, off + MSS)]))
    return segs


class TcpConn:
    """Builds the packets of one client-server TCP connection."""

    def __init__(self, client, server, cport, isn_c, isn_s, sport=53, ext=()):
        self.c, self.s, self.cport, self.sport = client, server, cport, sport
        self.ext = ext                          # IPv6 extension headers
        self.seq = {'c': isn_c, 's': isn_s}
        self.acked = {'c': isn_s, 's': isn_c}   # what each side has acked
        self.out = []
        self.t = 0
        self.ident = {'c': isn_c & 0xFFFF, 's': isn_s & 0xFFFF}

    def _pkt(self, side, seq, flags, payload=b'', dt=30000, options=b''):
        self.t += dt
        if side == 'c':
            src, dst, sp, dp = self.c, self.s, self.cport, self.sport
        else:
            src, dst, sp, dp = self.s, self.c, self.sport, self.cport
        ack = self.acked[side] if flags & P.ACK else 0
        seg = P.tcp(src, dst, sp, dp, seq, ack, flags, payload, options=options)
        self.ident[side] += 1
        self.out.append((self.t, P.ip_packet(src, dst, P.PROTO_TCP, seg,
                                             ident=self.ident[side] & 0xFFFF,
                                             ext=self.ext)))

    def handshake(self, rtt=2000000):
        self._pkt('c', self.seq['c'], P.SYN, dt=0, options=P.mss_option())
        self.seq['c'] += 1
        self.acked['s'] = self.seq['c']
        self._pkt('s', self.seq['s'], P.SYN | P.ACK, dt=rtt // 2, options=P.mss_option())
        self.seq['s'] += 1
        self.acked['c'] = self.seq['s']
        self._pkt('c', self.seq['c'], P.ACK, dt=rtt // 2)

    def send(self, side, stream, cuts=(), order=None, retransmit=(), dt=40000):
        """Sends stream bytes in segments; order permutes segment indexes,
        retransmit lists indexes sent again (identical) after the rest."""
        base = self.seq[side]
        segs = cut(stream, cuts)
        idx = order(len(segs)) if order else list(range(len(segs)))
        for i in list(idx) + [i for i in retransmit if i < len(segs)]:
            off, data = segs[i]
            self._pkt(side, base + off, P.ACK | P.PSH, data, dt=dt)
        self.seq[side] = base + len(stream)
        other = 's' if side == 'c' else 'c'
        self.acked[other] = self.seq[side]
        self._pkt(other, self.seq[other], P.ACK, dt=dt)
        return len(segs)

    def close(self):
        self._pkt('c', self.seq['c'], P.FIN | P.ACK)
        self.seq['c'] += 1
        self.acked['s'] = self.seq['c']
        self._pkt('s', self.seq['s'], P.FIN | P.ACK)
        self.seq['s'] += 1
        self.acked['c'] = self.seq['s']
        self._pkt('c', self.seq['c'], P.ACK)
        return self.out


def swap_pair(n):
    """Second segment before the first: the simplest reordering."""
    if n < 2:
        return list(range(n))
    return [1, 0] + list(range(2, n))
