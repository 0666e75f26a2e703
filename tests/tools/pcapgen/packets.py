"""Link, IP and transport headers, built byte by byte with real checksums.

Addresses are text ('192.0.2.1', '2001:db8::1'); the IP version follows from
the address. Link framings return whole frames; `frame()` picks the right
EtherType / address family for an IP packet.
"""
import socket
import struct

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_8021Q, ETH_8021AD = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8
PROTO_TCP, PROTO_UDP, PROTO_ICMP = 6, 17, 1
IPV6_HOPOPTS, IPV6_ROUTING, IPV6_FRAGMENT, IPV6_DSTOPTS = 0, 43, 44, 60
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# Link types (LINKTYPE_* values as written in pcap/pcapng headers).
LINKTYPE = {'null': 0, 'ethernet': 1, 'raw': 101, 'loop': 108, 'sll': 113,
            'sll2': 276}
# AF_INET6 as BSDs write it in DLT_NULL/DLT_LOOP headers.
AF_INET, AF_INET6_BSD, AF_INET6_FREEBSD, AF_INET6_DARWIN = 2, 24, 28, 30


def addr_bytes(a):
    return socket.inet_pton(socket.AF_INET6 if ':' in a else socket.AF_INET, a)


def is_v6(a):
    return ':' in a


def checksum(data):
    """RFC 1071 Internet checksum.

    The one's-complement sum of 16-bit words equals the data read as one big
    integer modulo 0xFFFF (2**16 is 1 modulo 0xFFFF), with 0xFFFF rather than
    0 as the sum of data that is not all zero.
    """
    if len(data) % 2:
        data += b'\0'
    s = int.from_bytes(data, 'big') % 0xFFFF
    if s == 0 and any(data):
        s = 0xFFFF
    return ~s & 0xFFFF


def _pseudo(src, dst, proto, length):
    s, d = addr_bytes(src), addr_bytes(dst)
    if len(s) == 4:
        return s + d + struct.pack('>BBH', 0, proto, length)
    return s + d + struct.pack('>IxxxB', length, proto)


def udp(src, dst, sport, dport, payload, length=None):
    """UDP datagram with checksum; length overrides the length field."""
    ulen = 8 + len(payload)
    hdr = struct.pack('>HHHH', sport, dport, ulen, 0)
    c = checksum(_pseudo(src, dst, PROTO_UDP, ulen) + hdr + payload) or 0xFFFF
    return struct.pack('>HHHH', sport, dport, length or ulen, c) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b'', window=64240,
        options=b''):
    options += b'\0' * (-len(options) % 4)
    off = (20 + len(options)) // 4
    hdr = struct.pack('>HHIIBBHHH', sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, off << 4, flags, window, 0, 0) + options
    c = checksum(_pseudo(src, dst, PROTO_TCP, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack('>H', c) + hdr[18:] + payload


def mss_option(mss=1460):
    return struct.pack('>BBH', 2, 4, mss)


def ipv4(src, dst, proto, payload, ident=0, ttl=64, df=False, mf=False,
         frag_offset=0, options=b'', tos=0, total_length=None, ihl=None):
    """IPv4 header + payload; frag_offset in bytes (multiple of 8)."""
    options += b'\0' * (-len(options) % 4)
    hl = 20 + len(options)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset >> 3)
    tl = total_length if total_length is not None else hl + len(payload)
    vihl = 0x40 | (ihl if ihl is not None else hl // 4)
    hdr = struct.pack('>BBHHHBBH4s4s', vihl, tos, tl, ident, flags, ttl, proto,
                      0, addr_bytes(src), addr_bytes(dst)) + options
    hdr = hdr[:10] + struct.pack('>H', checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv4_fragments(src, dst, proto, payload, ident, mtu=1500, ttl=64):
    """The fragments of one datagram, in order (offsets multiple of 8)."""
    step = (mtu - 20) // 8 * 8
    frags = []
    for off in range(0, len(payload), step):
        chunk = payload[off:off + step]
        frags.append(ipv4(src, dst, proto, chunk, ident=ident, ttl=ttl,
                          mf=off + step < len(payload), frag_offset=off))
    return frags


def ext_header(kind, body=b'', nh=0):
    """One IPv6 extension header (nh patched in by ipv6()); body padded."""
    if kind == IPV6_FRAGMENT:
        return (kind, body)
    if kind in (IPV6_HOPOPTS, IPV6_DSTOPTS) and not body:
        body = b'\x01\x04\0\0\0\0'          # PadN, 4 bytes: 8-byte header
    body += b'\0' * (-(len(body) + 2) % 8)
    return (kind, body)


def routing_header(segments, segments_left=0):
    """Segment Routing Header (type 4, RFC 8754) listing text addresses."""
    addrs = b''.join(addr_bytes(a) for a in segments)
    body = struct.pack('>BBBBH', 4, segments_left, len(segments) - 1, 0, 0) + addrs
    return (IPV6_ROUTING, body)


def ipv6(src, dst, nh, payload, hlim=64, ext=(), flow=0):
    """IPv6 header, extension headers [(kind, body)], then the payload."""
    chain = b''
    kinds = [k for k, _ in ext] + [nh]
    for i, (kind, body) in enumerate(ext):
        nxt = kinds[i + 1]
        if kind == IPV6_FRAGMENT:
            chain += bytes([nxt, 0]) + body
        else:
            chain += bytes([nxt, (len(body) + 2) // 8 - 1]) + body
    first = kinds[0]
    return struct.pack('>IHBB16s16s', 0x60000000 | flow,
                       len(chain) + len(payload), first, hlim,
                       addr_bytes(src), addr_bytes(dst)) + chain + payload


def ipv6_fragments(src, dst, nh, payload, ident, mtu=1500, ext=(), hlim=64):
    """Fragments with a Fragment header after the unfragmentable ext headers."""
    unfrag = sum(2 + len(b) for _, b in ext)
    step = (mtu - 40 - unfrag - 8) // 8 * 8
    frags = []
    for off in range(0, len(payload), step):
        chunk = payload[off:off + step]
        more = 1 if off + step < len(payload) else 0
        fh = ext_header(IPV6_FRAGMENT, struct.pack('>HI', off | more, ident))
        frags.append(ipv6(src, dst, nh, chunk, hlim=hlim, ext=list(ext) + [fh]))
    return frags


def ip_packet(src, dst, proto, l4, ident=0, ext=()):
    if is_v6(src):
        return ipv6(src, dst, proto, l4, ext=ext)
    return ipv4(src, dst, proto, l4, ident=ident)


def mac(text):
    return bytes.fromhex(text.replace(':', ''))


def ethernet(payload, ethertype, src='02:00:00:00:00:01',
             dst='02:00:00:00:00:02', vlans=(), pad=True):
    """Ethernet II; vlans is [(tpid, vid)] outermost first; pads to 60 bytes."""
    tags = b''.join(struct.pack('>HH', tpid, vid & 0x0FFF) for tpid, vid in vlans)
    f = mac(dst) + mac(src) + tags + struct.pack('>H', ethertype) + payload
    if pad and len(f) < 60:
        f += b'\0' * (60 - len(f))
    return f


def sll(payload, ethertype, pkttype=0, src='02:00:00:00:00:01'):
    """Linux cooked v1: pkttype 0 to us, 4 sent by us."""
    a = mac(src)
    return struct.pack('>HHH', pkttype, 1, len(a)) + a.ljust(8, b'\0') + \
        struct.pack('>H', ethertype) + payload


def sll2(payload, ethertype, pkttype=0, ifindex=2, src='02:00:00:00:00:01'):
    a = mac(src)
    return struct.pack('>HHIHBB', ethertype, 0, ifindex, 1, pkttype, len(a)) + \
        a.ljust(8, b'\0') + payload


def bsd_null(payload, af, byteorder='<'):
    """DLT_NULL: address family in the writing host's byte order."""
    return struct.pack(byteorder + 'I', af) + payload


def bsd_loop(payload, af):
    """DLT_LOOP: address family always in network byte order."""
    return struct.pack('>I', af) + payload


def ethertype_of(ip):
    return ETH_IPV6 if ip[0] >> 4 == 6 else ETH_IPV4


def frame(link, ip, vlans=(), af6=AF_INET6_BSD, null_order='<', pkttype=0):
    """Wraps an IP packet for the link type named (see LINKTYPE)."""
    et = ethertype_of(ip)
    if link == 'ethernet':
        return ethernet(ip, et, vlans=vlans)
    if link == 'raw':
        return ip
    if link == 'sll':
        return sll(ip, et, pkttype)
    if link == 'sll2':
        return sll2(ip, et, pkttype)
    af = af6 if et == ETH_IPV6 else AF_INET
    if link == 'null':
        return bsd_null(ip, af, null_order)
    if link == 'loop':
        return bsd_loop(ip, af)
    raise ValueError('unknown link ' + link)


def arp_request(sender_ip, target_ip, sender_mac='02:00:00:00:00:01'):
    body = struct.pack('>HHBBH', 1, ETH_IPV4, 6, 4, 1) + mac(sender_mac) + \
        addr_bytes(sender_ip) + b'\0' * 6 + addr_bytes(target_ip)
    return body
