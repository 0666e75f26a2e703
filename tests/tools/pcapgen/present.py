"""Presentation of names and rdata as docs/observations.md specifies.

Input is *canonical* rdata: the RR's rdata with embedded names uncompressed
and ASCII-lower-cased (dnsmsg.RR.canonical_rdata() produces it). Every
function here parses that independently of the sensor's C code. Rdata that
does not have its type's shape raises ValueError (the sensor would count
malformed_dns_rdata and report nothing).
"""
import base64
import socket
import struct
import time

TYPE_NAMES = {
    1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG',
    9: 'MR', 10: 'NULL', 11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO',
    15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 21: 'RT', 26: 'PX', 28: 'AAAA',
    29: 'LOC', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 39: 'DNAME',
    41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG',
    47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM',
    52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 59: 'CDS', 60: 'CDNSKEY',
    61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS',
    99: 'SPF', 108: 'EUI48', 109: 'EUI64', 249: 'TKEY', 250: 'TSIG',
    251: 'IXFR', 252: 'AXFR', 255: 'ANY', 256: 'URI', 257: 'CAA',
}
TYPE_NUMBERS = {v: k for k, v in TYPE_NAMES.items()}

SVC_KEYS = {0: 'mandatory', 1: 'alpn', 2: 'no-default-alpn', 3: 'port',
            4: 'ipv4hint', 5: 'ech', 6: 'ipv6hint'}

_NAME_SPECIAL = b'.\\"();@$'


def type_name(t):
    return TYPE_NAMES.get(t, 'TYPE%d' % t)


def type_number(text):
    if text in TYPE_NUMBERS:
        return TYPE_NUMBERS[text]
    if text.startswith('TYPE'):
        return int(text[4:])
    raise KeyError(text)


def label_text(label):
    out = []
    for b in label:
        if b in _NAME_SPECIAL:
            out.append('\\' + chr(b))
        elif b < 0x21 or b > 0x7e:
            out.append('\\%03d' % b)
        else:
            out.append(chr(b))
    return ''.join(out)


def name_text(labels):
    """Labels (a sequence of bytes) as text without trailing dot; root '.'."""
    if not labels:
        return '.'
    return '.'.join(label_text(lab) for lab in labels)


def string_text(s):
    """A character-string's contents, escaped as TXT wants, without quotes."""
    out = []
    for b in s:
        if b in (0x22, 0x5c):
            out.append('\\' + chr(b))
        elif b < 0x20 or b > 0x7e:
            out.append('\\%03d' % b)
        else:
            out.append(chr(b))
    return ''.join(out)


def hex_text(b):
    return b.hex().upper() if b else '-'


def b64_text(b):
    return base64.b64encode(b).decode() if b else '-'


class Reader:
    """Cursor over canonical rdata; every read checks the bounds."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def left(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n > self.left():
            raise ValueError('rdata too short')
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack('>H', self.take(2))[0]

    def u32(self):
        return struct.unpack('>I', self.take(4))[0]

    def rest(self):
        return self.take(self.left())

    def name(self):
        labels = []
        total = 1
        while True:
            n = self.u8()
            if n == 0:
                return name_text(labels)
            if n > 63:
                raise ValueError('compressed or bad label in canonical rdata')
            labels.append(self.take(n))
            total += n + 1
            if total > 255:
                raise ValueError('name too long')

    def string(self):
        return '"%s"' % string_text(self.take(self.u8()))

    def end(self):
        if self.left():
            raise ValueError('bytes left over after the last field')


def _bitmap_types(r):
    types = []
    last_window = -1
    while r.left():
        window, length = r.u8(), r.u8()
        if window <= last_window or not 1 <= length <= 32:
            raise ValueError('bad type bitmap')
        last_window = window
        for i, byte in enumerate(r.take(length)):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    types.append(type_name(window * 256 + i * 8 + bit))
    return types


def _svc_value(key, v):
    if key == 0:
        if len(v) % 2 or not v:
            raise ValueError('bad mandatory')
        keys = struct.unpack('>%dH' % (len(v) // 2), v)
        return '=' + ','.join(SVC_KEYS.get(k, 'key%d' % k) for k in keys)
    if key == 1:
        r, vals = Reader(v), []
        while r.left():
            vals.append(_alpn_text(r.take(r.u8())))
        if not vals:
            raise ValueError('empty alpn')
        return '=' + ','.join(vals)
    if key == 2:
        if v:
            raise ValueError('no-default-alpn with a value')
        return ''
    if key == 3:
        if len(v) != 2:
            raise ValueError('bad port')
        return '=%d' % struct.unpack('>H', v)[0]
    if key in (4, 6):
        size, fam = (4, socket.AF_INET) if key == 4 else (16, socket.AF_INET6)
        if not v or len(v) % size:
            raise ValueError('bad address hint')
        return '=' + ','.join(socket.inet_ntop(fam, v[i:i + size])
                              for i in range(0, len(v), size))
    if key == 5:
        return '=' + b64_text(v)
    return '="%s"' % string_text(v) if v else ''


def _alpn_text(v):
    out = []
    for b in v:
        if b in (0x2c, 0x5c):
            out.append('\\' + chr(b))
        elif b < 0x20 or b > 0x7e:
            out.append('\\%03d' % b)
        else:
            out.append(chr(b))
    return ''.join(out)


def _svcb(r):
    prio, target = r.u16(), r.name()
    if prio == 0:
        r.rest()
        return '0 ' + target
    parts = [str(prio), target]
    while r.left():
        key = r.u16()
        value = r.take(r.u16())
        name = SVC_KEYS.get(key, 'key%d' % key)
        parts.append(name + _svc_value(key, value))
    return ' '.join(parts)


def _rrsig(r):
    covered, alg, labels = r.u16(), r.u8(), r.u8()
    ttl, exp, inc, tag = r.u32(), r.u32(), r.u32(), r.u16()
    signer = r.name()
    stamp = lambda t: time.strftime('%Y%m%d%H%M%S', time.gmtime(t))
    return '%s %d %d %d %s %s %d %s %s' % (
        type_name(covered), alg, labels, ttl, stamp(exp), stamp(inc), tag,
        signer, b64_text(r.rest()))


def _nsec3(r):
    alg, flags, iters = r.u8(), r.u8(), r.u16()
    salt = r.take(r.u8())
    nxt = r.take(r.u8())
    if not nxt:
        raise ValueError('empty NSEC3 next hash')
    b32 = base64.b32hexencode(nxt).decode().rstrip('=')
    types = _bitmap_types(r)
    head = '%d %d %d %s %s' % (alg, flags, iters, hex_text(salt), b32)
    return ' '.join([head] + types)


def _naptr(r):
    order, pref = r.u16(), r.u16()
    return '%d %d %s %s %s %s' % (order, pref, r.string(), r.string(),
                                  r.string(), r.name())


def _strings(r):
    out = [r.string()]
    while r.left():
        out.append(r.string())
    return ' '.join(out)


_FORMATS = {
    'A': lambda r: socket.inet_ntop(socket.AF_INET, r.take(4)),
    'AAAA': lambda r: socket.inet_ntop(socket.AF_INET6, r.take(16)),
    'NAME': lambda r: r.name(),
    'SOA': lambda r: ' '.join([r.name(), r.name()] +
                              [str(r.u32()) for _ in range(5)]),
    'PREFNAME': lambda r: '%d %s' % (r.u16(), r.name()),
    'TWONAMES': lambda r: '%s %s' % (r.name(), r.name()),
    'PX': lambda r: '%d %s %s' % (r.u16(), r.name(), r.name()),
    'HINFO': lambda r: '%s %s' % (r.string(), r.string()),
    'TXT': _strings,
    'SRV': lambda r: '%d %d %d %s' % (r.u16(), r.u16(), r.u16(), r.name()),
    'NAPTR': _naptr,
    'DS': lambda r: '%d %d %d %s' % (r.u16(), r.u8(), r.u8(),
                                     hex_text(r.rest())),
    'DNSKEY': lambda r: '%d %d %d %s' % (r.u16(), r.u8(), r.u8(),
                                         b64_text(r.rest())),
    'RRSIG': _rrsig,
    'NSEC': lambda r: ' '.join([r.name()] + _bitmap_types(r)),
    'NSEC3': _nsec3,
    'NSEC3PARAM': lambda r: '%d %d %d %s' % (r.u8(), r.u8(), r.u16(),
                                             hex_text(r.take(r.u8()))),
    'SSHFP': lambda r: '%d %d %s' % (r.u8(), r.u8(), hex_text(r.rest())),
    'TLSA': lambda r: '%d %d %d %s' % (r.u8(), r.u8(), r.u8(),
                                       hex_text(r.rest())),
    'CAA': lambda r: '%d %s "%s"' % (r.u8(), r.take(r.u8()).decode('latin-1'),
                                     string_text(r.rest())),
    'BASE64': lambda r: b64_text(r.rest()),
    'URI': lambda r: '%d %d "%s"' % (r.u16(), r.u16(), string_text(r.rest())),
    'SVCB': _svcb,
}

_SHAPE = {
    'A': 'A', 'AAAA': 'AAAA', 'NS': 'NAME', 'CNAME': 'NAME', 'DNAME': 'NAME',
    'PTR': 'NAME', 'MB': 'NAME', 'MD': 'NAME', 'MF': 'NAME', 'MG': 'NAME',
    'MR': 'NAME', 'SOA': 'SOA', 'MX': 'PREFNAME', 'KX': 'PREFNAME',
    'RT': 'PREFNAME', 'AFSDB': 'PREFNAME', 'MINFO': 'TWONAMES',
    'RP': 'TWONAMES', 'PX': 'PX', 'HINFO': 'HINFO', 'TXT': 'TXT', 'SPF': 'TXT',
    'SRV': 'SRV', 'NAPTR': 'NAPTR', 'DS': 'DS', 'CDS': 'DS',
    'DNSKEY': 'DNSKEY', 'CDNSKEY': 'DNSKEY', 'RRSIG': 'RRSIG', 'NSEC': 'NSEC',
    'NSEC3': 'NSEC3', 'NSEC3PARAM': 'NSEC3PARAM', 'SSHFP': 'SSHFP',
    'TLSA': 'TLSA', 'SMIMEA': 'TLSA', 'CAA': 'CAA', 'OPENPGPKEY': 'BASE64',
    'DHCID': 'BASE64', 'URI': 'URI', 'SVCB': 'SVCB', 'HTTPS': 'SVCB',
}


def rdata_text(rtype, rdata):
    """Presentation of canonical rdata of type rtype (an int)."""
    shape = _SHAPE.get(TYPE_NAMES.get(rtype))
    if shape is None:
        if not rdata:
            return '\\# 0'
        return '\\# %d %s' % (len(rdata), rdata.hex().upper())
    r = Reader(rdata)
    text = _FORMATS[shape](r)
    r.end()
    return text
