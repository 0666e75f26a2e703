"""tests/data cases below DNS: link types, file formats, IP, UDP, TCP."""
import struct

from . import flows, packets as P, rdata as R
from .crafted import Case, case, query, reply, C4, S4, C6, S6, MS, T0  # noqa: F401
from .dnsmsg import RR, name, edns_opt

WWW = name('www.example.com')


def a_exchange(c, qname=WWW, addr='192.0.2.1', ident=0x1001):
    q = query(qname, 1, ident)
    c.exchange(q, reply(q, [RR(qname, *R.A(addr))]))


def aaaa_exchange(c, qname=WWW, addr='2001:db8::1', ident=0x1002, **ipkw):
    q = query(qname, 28, ident)
    c.exchange(q, reply(q, [RR(qname, *R.AAAA(addr))]), v6=True, **ipkw)


def both(c):
    a_exchange(c)
    aaaa_exchange(c)
    return c


@case
def link_ethernet():
    return both(Case('link_ethernet.pcap', 'Ethernet II: A over IPv4, AAAA over IPv6'))


@case
def link_vlan_8021q():
    c = Case('link_vlan_8021q.pcap', '802.1Q tag (VID 100) before IPv4 and IPv6')
    c.frame_opts = {'vlans': [(P.ETH_8021Q, 100)]}
    return both(c)


@case
def link_qinq_88a8():
    c = Case('link_qinq_88a8.pcap', 'QinQ: 802.1ad outer tag 0x88a8 (VID 200), '
             '802.1Q inner tag (VID 100)')
    c.frame_opts = {'vlans': [(P.ETH_8021AD, 200), (P.ETH_8021Q, 100)]}
    return both(c)


@case
def link_linux_sll():
    return both(Case('link_linux_sll.pcap', 'Linux cooked capture v1 (LINKTYPE 113)',
                     link='sll'))


@case
def link_linux_sll2():
    return both(Case('link_linux_sll2.pcap', 'Linux cooked capture v2 (LINKTYPE 276)',
                     link='sll2'))


@case
def link_raw_ipv4():
    c = Case('link_raw_ipv4.pcap', 'LINKTYPE_RAW (101), IPv4 packets', link='raw')
    a_exchange(c)
    return c


@case
def link_raw_ipv6():
    c = Case('link_raw_ipv6.pcap', 'LINKTYPE_RAW (101), IPv6 packets', link='raw')
    aaaa_exchange(c)
    return c


@case
def link_bsd_null():
    c = Case('link_bsd_null.pcap', 'DLT_NULL, family in little-endian host order: '
             'IPv4 (2) and IPv6 as NetBSD/OpenBSD (24), FreeBSD (28), macOS (30)',
             link='null')
    a_exchange(c)
    for i, af in enumerate((24, 28, 30)):
        c.frame_opts = {'af6': af}
        aaaa_exchange(c, name('v6-af%d.example.com' % af), '2001:db8::%x' % (af), 0x2000 + i)
    return c


@case
def link_bsd_null_big_endian():
    c = Case('link_bsd_null_big_endian.pcap', 'DLT_NULL in a big-endian pcap file: '
             'the family is big-endian too (IPv4 2, IPv6 30)', link='null', byteorder='>')
    c.frame_opts = {'null_order': '>', 'af6': 30}
    return both(c)


@case
def link_bsd_loop():
    c = Case('link_bsd_loop.pcap', 'DLT_LOOP (108): family in network order '
             '(IPv4 2, IPv6 24)', link='loop')
    c.frame_opts = {'af6': 24}
    return both(c)


@case
def ethernet_padding_trailer():
    c = Case('ethernet_padding_trailer.pcap', 'Ethernet frames longer than their IP '
             'packet: a 59-byte query padded to 60, and a 4-byte trailer on both frames')
    q = query((), 2, 0x1003, edns=False)
    r = reply(q, [RR((), *R.NS(name('a.root-servers.net')))])
    for m in (q, r):
        src, dst = (S4, C4) if m.is_response else (C4, S4)
        sp, dp = (53, c.port) if m.is_response else (c.port, 53)
        ip = P.ipv4(src, dst, P.PROTO_UDP, P.udp(src, dst, sp, dp, m.to_wire()))
        c.emit(P.ethernet(ip, P.ETH_IPV4) + b'\xde\xad\xbe\xef')
        c.note(m)
    return c


@case
def pcap_nanosecond():
    c = Case('pcap_nanosecond.pcap', 'pcap with the nanosecond magic (a1b23c4d); '
             'responses 1 ns before and after a second boundary', nsec=True)
    q = query(WWW, 1, 0x1001)
    c.t = T0 + 10**9 - 3 * MS
    c.send(q)
    c.send(reply(q, [RR(WWW, *R.A('192.0.2.1'))]), dt=2 * MS - 1)     # T0+1s-1ns
    q = query(WWW, 28, 0x1002)
    c.send(q, dt=0)
    c.send(reply(q, [RR(WWW, *R.AAAA('2001:db8::1'))]), dt=2)          # T0+1s+1ns
    return c


@case
def pcap_big_endian():
    c = Case('pcap_big_endian.pcap', 'pcap file written big-endian (magic a1b2c3d4 '
             'read as d4c3b2a1 on little-endian hosts), Ethernet', byteorder='>')
    return both(c)


@case
def pcapng_basic():
    return both(Case('pcapng_basic.pcapng', 'pcapng: section header, one Ethernet '
                     'interface (microseconds), enhanced packet blocks', fmt='pcapng'))


@case
def pcapng_two_interfaces():
    c = Case('pcapng_two_interfaces.pcapng', 'pcapng: two Ethernet interfaces, the '
             'second with if_tsresol 9 (nanoseconds); each carries one exchange',
             fmt='pcapng')
    c.ifaces = [('ethernet', 6), ('ethernet', 9)]
    a_exchange(c)
    c.ifid = 1
    c.t = T0 + 2 * 10**9 - 5 * MS
    aaaa_exchange(c)
    return c


@case
def ipv4_options():
    c = Case('ipv4_options.pcap', 'IPv4 header with options (IHL 6, Router Alert)')
    q = query(WWW, 1, 0x1004)
    c.exchange(q, reply(q, [RR(WWW, *R.A('192.0.2.4'))]), options=b'\x94\x04\x00\x00')
    return c


@case
def ipv6_extension_headers():
    c = Case('ipv6_extension_headers.pcap', 'IPv6 with hop-by-hop, destination '
             'options and routing (SRH, segments left 0) headers before UDP, and '
             'a destination-options header before TCP')
    chain = [P.ext_header(P.IPV6_HOPOPTS), P.ext_header(P.IPV6_DSTOPTS),
             P.routing_header([C6]), P.ext_header(P.IPV6_DSTOPTS)]
    q = query(WWW, 28, 0x1005)
    c.send(q, v6=True, ext=chain[:1])
    c.send(reply(q, [RR(WWW, *R.AAAA('2001:db8::5'))]), v6=True, ext=chain)
    q2 = query(name('tcp.example.com'), 28, 0x1006)
    r2 = reply(q2, [RR(q2.question[0], *R.AAAA('2001:db8::6'))])
    c.tcp_flow([q2], [r2], v6=True, ext=[P.ext_header(P.IPV6_DSTOPTS)])
    return c


def big_answer(qname, size=2900, ident=0x1100):
    """An A response made large by EDNS padding (RFC 7830): big enough to
    fragment, yet one observation, so .expected stays small."""
    q = query(qname, 1, ident)
    q.additional[0].rclass = 4096
    r = reply(q, [RR(qname, *R.A('192.0.2.%d' % (100 + (ident & 0x3F))))])
    r.additional[-1] = edns_opt(4096, options=struct.pack('>HH', 12, size) + bytes(size))
    return q, r


@case
def ipv4_fragments_in_order():
    c = Case('ipv4_fragments_in_order.pcap', 'a 3 KB response (EDNS padding) in '
             'three IPv4 fragments, in order')
    c.big_response(*big_answer(name('big.example.com')))
    return c


@case
def ipv4_fragments_out_of_order():
    c = Case('ipv4_fragments_out_of_order.pcap', 'a 3 KB response (EDNS padding) in '
             'three IPv4 fragments sent in reverse order (as Linux once did)')
    c.big_response(*big_answer(name('big.example.com')), order=flows.reverse_order)
    return c


@case
def ipv4_fragments_incomplete():
    c = Case('ipv4_fragments_incomplete.pcap', 'a fragmented response whose middle '
             'fragment is missing: nothing is reassembled or reported')
    q, r = big_answer(name('big.example.com'))
    c.send(q)
    frags = flows.udp_datagram(S4, C4, 53, c.port, r.to_wire(), 0x4343)
    for f in (frags[0], frags[2]):
        c.ip(f)
    c.counters.v['frag_reassembled'] = 0
    return c


@case
def ipv6_fragments():
    c = Case('ipv6_fragments.pcap', 'two responses over IPv6 fragment headers: '
             '1.7 KB in two fragments in order, 3 KB in three with the last one first '
             'and a hop-by-hop header before the fragment header')
    c.big_response(*big_answer(name('big6.example.com'), 1600, 0x1101), v6=True)
    c.big_response(*big_answer(name('big6b.example.com'), ident=0x1102), v6=True,
                   order=flows.last_first, ext=[P.ext_header(P.IPV6_HOPOPTS)], frag_id=0x4343)
    return c


@case
def ipv4_bad_ihl():
    c = Case('ipv4_bad_ihl.pcap', 'a DNS response whose IPv4 IHL is 4 (< 5): '
             'malformed_ip')
    q = query(WWW, 1, 0x1007)
    c.send(q)
    r = reply(q, [RR(WWW, *R.A('192.0.2.7'))])
    c.ip(P.ipv4(S4, C4, P.PROTO_UDP, P.udp(S4, C4, 53, c.port, r.to_wire()), ihl=4))
    c.counters.inc('malformed_ip')
    return c


@case
def ipv4_total_length_exceeds_frame():
    c = Case('ipv4_total_length_exceeds_frame.pcap', 'IPv4 total length 200 bytes '
             'more than the frame holds (frame not cut by snaplen): malformed_ip')
    q = query(WWW, 1, 0x1008)
    c.send(q)
    dns = reply(q, [RR(WWW, *R.A('192.0.2.8'))]).to_wire()
    dgram = P.udp(S4, C4, 53, c.port, dns)
    c.ip(P.ipv4(S4, C4, P.PROTO_UDP, dgram, total_length=20 + len(dgram) + 200))
    c.counters.inc('malformed_ip')
    return c


@case
def udp_length_exceeds_packet():
    c = Case('udp_length_exceeds_packet.pcap', 'UDP length field 100 bytes larger '
             'than the IP payload: malformed_udp')
    q = query(WWW, 1, 0x1009)
    c.send(q)
    dns = reply(q, [RR(WWW, *R.A('192.0.2.9'))]).to_wire()
    c.ip(P.ipv4(S4, C4, P.PROTO_UDP, P.udp(S4, C4, 53, c.port, dns, length=8 + len(dns) + 100)))
    c.counters.inc('malformed_udp')
    return c


@case
def udp_checksum_zero_ipv4():
    c = Case('udp_checksum_zero_ipv4.pcap', 'IPv4 UDP with checksum 0 (none '
             'computed, allowed for IPv4): decoded normally')
    q = query(WWW, 1, 0x100A)
    r = reply(q, [RR(WWW, *R.A('192.0.2.10'))])
    for m, (src, dst, sp, dp) in ((q, (C4, S4, c.port, 53)), (r, (S4, C4, 53, c.port))):
        wire = m.to_wire()
        dgram = struct.pack('>HHHH', sp, dp, 8 + len(wire), 0) + wire
        c.ip(P.ipv4(src, dst, P.PROTO_UDP, dgram))
        c.note(m)
    return c


@case
def snaplen_truncated():
    c = Case('snaplen_truncated.pcap', 'snaplen 96: the query fits, the 300-byte '
             'response is cut (caplen < len) and must not be decoded', snaplen=96)
    q = query(WWW, 16, 0x100B, edns=False)
    c.send(q)
    r = reply(q, [RR(WWW, *R.TXT('t' * 200))])
    frame = P.frame('ethernet', P.ipv4(S4, C4, P.PROTO_UDP,
                                       P.udp(S4, C4, 53, c.port, r.to_wire())))
    c.emit(frame)                                   # the writer cuts it at 96
    c.counters.inc('packets_short_capture')
    return c


@case
def non_dns_traffic():
    c = Case('non_dns_traffic.pcap', 'ARP, LLDP, NTP over UDP, HTTP over TCP and '
             'QUIC-like UDP 443 over IPv6: nothing DNS')
    arp = P.arp_request(C4, S4)
    c.emit(P.ethernet(arp, P.ETH_ARP, dst='ff:ff:ff:ff:ff:ff'))
    lldp = (b'\x02\x07\x04' + P.mac('02:00:00:00:00:01') + b'\x04\x07\x03' +
            P.mac('02:00:00:00:00:01') + b'\x06\x02\x00\x78\x00\x00')
    c.emit(P.ethernet(lldp, 0x88CC, dst='01:80:c2:00:00:0e'))
    c.counters.inc('packets_not_ip', 2)
    ntp = b'\x23' + bytes(47)
    c.udp(C4, '192.0.2.123', 123, 123, ntp)
    c.udp('192.0.2.123', C4, 123, 123, b'\x24' + bytes(47))
    c.udp(C6, S6, 50000, 443, b'\xc0' + bytes(40))
    conn = flows.TcpConn(C4, '192.0.2.80', 41000, 7, 9, sport=80)
    conn.handshake(2 * MS)
    conn.send('c', b'GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n')
    conn.send('s', b'HTTP/1.1 204 No Content\r\n\r\n')
    pkts = conn.close()
    for off, pkt in pkts:
        c.ip(pkt)
    c.counters.inc('packets_not_dns', 3 + len(pkts))
    return c


def tcp_pair(qname, addr, ident):
    q = query(qname, 1, ident)
    return q, reply(q, [RR(qname, *R.A(addr))] +
                    [RR(qname, *R.TXT('padding-%d ' % i + 'p' * 60)) for i in range(6)])


@case
def tcp_dns_split_across_segments():
    c = Case('tcp_dns_split_across_segments.pcap', 'DNS over TCP after a handshake: '
             'the query length prefix alone in a segment, the response in three '
             'segments, the first holding one byte of its length prefix')
    q, r = tcp_pair(WWW, '192.0.2.20', 0x1010)
    c.tcp_flow([q], [r], qcuts=[2], rcuts=[1, 200])
    return c


@case
def tcp_two_messages_one_segment():
    c = Case('tcp_two_messages_one_segment.pcap', 'two pipelined queries in one '
             'segment, both responses in one segment')
    q1, r1 = tcp_pair(name('one.example.com'), '192.0.2.21', 0x1011)
    q2, r2 = tcp_pair(name('two.example.com'), '192.0.2.22', 0x1012)
    c.tcp_flow([q1, q2], [r1, r2])
    return c


@case
def tcp_out_of_order_and_retransmit():
    c = Case('tcp_out_of_order_and_retransmit.pcap', 'response segments sent '
             '2nd, 1st, 3rd; the 1st response segment and the query retransmitted '
             '(identical bytes): each message counts once')
    q, r = tcp_pair(WWW, '192.0.2.23', 0x1013)
    c.tcp_flow([q], [r], rcuts=[100, 300], rorder=flows.swap_pair, rretrans=[0],
               qretrans=[0])
    return c


@case
def tcp_dns_ipv6():
    c = Case('tcp_dns_ipv6.pcap', 'DNS over TCP over IPv6, response split in two')
    q, r = tcp_pair(WWW, '192.0.2.24', 0x1014)
    c.tcp_flow([q], [r], v6=True, rcuts=[150])
    return c
