"""pcap and pcapng writers. Timestamps are integer nanoseconds since 1970.

pcap: classic format, microsecond (a1b2c3d4) or nanosecond (a1b23c4d) magic,
little- or big-endian. pcapng: Section Header, Interface Description and
Enhanced Packet blocks; each interface may have its own if_tsresol. libpcap
1.10 reads several interfaces only if they share link type and snaplen.
"""
import struct

MAGIC_USEC, MAGIC_NSEC = 0xA1B2C3D4, 0xA1B23C4D


class PcapWriter:
    def __init__(self, f, linktype, snaplen=262144, nsec=False, byteorder='<'):
        self.f = f
        self.nsec = nsec
        self.snaplen = snaplen
        self.rec = struct.Struct(byteorder + 'IIII')
        f.write(struct.pack(byteorder + 'IHHiIII', MAGIC_NSEC if nsec else MAGIC_USEC,
                            2, 4, 0, 0, snaplen, linktype))

    def write(self, ts_ns, data, orig_len=None, ifid=0):
        """Writes one record; data beyond snaplen is cut (caplen < len)."""
        sec, frac = divmod(ts_ns, 1000000000)
        if not self.nsec:
            frac //= 1000
        cap = data[:self.snaplen]
        self.f.write(self.rec.pack(sec, frac, len(cap),
                                   orig_len if orig_len is not None else len(data)))
        self.f.write(cap)


def _option(code, value):
    return struct.pack('<HH', code, len(value)) + value + b'\0' * (-len(value) % 4)


def _options(opts):
    if not opts:
        return b''
    return b''.join(_option(c, v) for c, v in opts) + _option(0, b'')


def _block(btype, body):
    body += b'\0' * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack('<II', btype, total) + body + struct.pack('<I', total)


class PcapngWriter:
    def __init__(self, f, appl=b'almanac gencap'):
        self.f = f
        self.ifaces = []        # (units per second, snaplen)
        body = struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1) + _options(
            [(4, appl)] if appl else [])
        f.write(_block(0x0A0D0D0A, body))

    def add_interface(self, linktype, snaplen=262144, tsresol=6, name=None):
        """tsresol: decimal exponent (6 = usec, the pcapng default; 9 = nsec)."""
        opts = []
        if name:
            opts.append((2, name.encode()))
        if tsresol != 6:
            opts.append((9, bytes([tsresol])))
        body = struct.pack('<HHI', linktype, 0, snaplen) + _options(opts)
        self.f.write(_block(1, body))
        self.ifaces.append((10 ** tsresol, snaplen))
        return len(self.ifaces) - 1

    def write(self, ts_ns, data, orig_len=None, ifid=0):
        units, snaplen = self.ifaces[ifid]
        ts = ts_ns * units // 1000000000
        cap = data[:snaplen]
        body = struct.pack('<IIIII', ifid, ts >> 32, ts & 0xFFFFFFFF, len(cap),
                           orig_len if orig_len is not None else len(data)) + cap
        self.f.write(_block(6, body))


def open_writer(path, fmt, linktype, snaplen=262144):
    """fmt: 'pcap', 'pcap-nsec' or 'pcapng' (one interface)."""
    f = open(path, 'wb')
    if fmt == 'pcapng':
        w = PcapngWriter(f)
        w.add_interface(linktype, snaplen)
    else:
        w = PcapWriter(f, linktype, snaplen, nsec=(fmt == 'pcap-nsec'))
    return f, w
