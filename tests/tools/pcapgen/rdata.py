"""Rdata constructors: each returns (rtype, parts) for dnsmsg.RR(owner, *x).

Names are label tuples (dnsmsg.name()). Compression of rdata names follows
the RFCs as servers apply them: RFC 1035 types (NS, CNAME, SOA, PTR, MX,
MB, MD, MF, MG, MR, MINFO) compress; SRV compresses too because some servers
do it and RFC 3597 section 4 tells receivers to decompress it; DNAME
(RFC 6672), RRSIG signer and NSEC next name (RFC 4034), SVCB/HTTPS target
(RFC 9460) and the other newer types are never compressed. Pass
compress=True to force compression where a crafted capture wants it.
"""
import socket
import struct

from .dnsmsg import NameRef
from .present import TYPE_NUMBERS as T


def _n(labels, compress):
    return NameRef(labels, compress)


def _s(data):
    """A character-string: length byte plus up to 255 bytes."""
    if isinstance(data, str):
        data = data.encode('latin-1')
    if len(data) > 255:
        raise ValueError('character-string longer than 255')
    return bytes([len(data)]) + data


def A(addr):
    return T['A'], [socket.inet_pton(socket.AF_INET, addr)]


def AAAA(addr):
    return T['AAAA'], [socket.inet_pton(socket.AF_INET6, addr)]


def single_name(tname, target, compress=None):
    """NS, CNAME, PTR, DNAME, MB, MD, MF, MG, MR."""
    if compress is None:
        compress = tname != 'DNAME'
    return T[tname], [_n(target, compress)]


def NS(target, compress=True):
    return single_name('NS', target, compress)


def CNAME(target, compress=True):
    return single_name('CNAME', target, compress)


def PTR(target, compress=True):
    return single_name('PTR', target, compress)


def DNAME(target, compress=False):
    return single_name('DNAME', target, compress)


def SOA(mname, rname, serial, refresh=7200, retry=3600, expire=1209600,
        minimum=300, compress=True):
    return T['SOA'], [_n(mname, compress), _n(rname, compress),
                      struct.pack('>5I', serial, refresh, retry, expire, minimum)]


def pref_name(tname, pref, target, compress=None):
    """MX, KX, RT, AFSDB."""
    if compress is None:
        compress = tname == 'MX'
    return T[tname], [struct.pack('>H', pref), _n(target, compress)]


def MX(pref, target, compress=True):
    return pref_name('MX', pref, target, compress)


def two_names(tname, a, b, compress=None):
    """MINFO, RP."""
    if compress is None:
        compress = tname == 'MINFO'
    return T[tname], [_n(a, compress), _n(b, compress)]


def PX(pref, map822, mapx400, compress=False):
    return T['PX'], [struct.pack('>H', pref), _n(map822, compress),
                     _n(mapx400, compress)]


def HINFO(cpu, os):
    return T['HINFO'], [_s(cpu) + _s(os)]


def TXT(*strings, tname='TXT'):
    return T[tname], [b''.join(_s(s) for s in strings)]


def SRV(prio, weight, port, target, compress=True):
    return T['SRV'], [struct.pack('>HHH', prio, weight, port),
                      _n(target, compress)]


def NAPTR(order, pref, flags, services, regexp, replacement, compress=False):
    return T['NAPTR'], [struct.pack('>HH', order, pref) + _s(flags) +
                        _s(services) + _s(regexp), _n(replacement, compress)]


def DS(keytag, alg, dtype, digest, tname='DS'):
    return T[tname], [struct.pack('>HBB', keytag, alg, dtype) + digest]


def DNSKEY(flags, proto, alg, key, tname='DNSKEY'):
    return T[tname], [struct.pack('>HBB', flags, proto, alg) + key]


def RRSIG(covered, alg, labels, orig_ttl, expiration, inception, keytag,
          signer, signature, compress=False):
    fixed = struct.pack('>HBBIIIH', covered, alg, labels, orig_ttl,
                        expiration, inception, keytag)
    return T['RRSIG'], [fixed, _n(signer, compress), signature]


def type_bitmap(types):
    """RFC 4034 4.1.2 windowed bitmap of the type numbers given."""
    windows = {}
    for t in sorted(set(types)):
        bits = windows.setdefault(t >> 8, bytearray(32))
        bits[(t & 255) >> 3] |= 0x80 >> (t & 7)
    out = bytearray()
    for w in sorted(windows):
        bits = windows[w].rstrip(b'\0')
        out += bytes([w, len(bits)]) + bits
    return bytes(out)


def NSEC(next_name, types, compress=False):
    return T['NSEC'], [_n(next_name, compress), type_bitmap(types)]


def NSEC3(alg, flags, iterations, salt, next_hash, types):
    return T['NSEC3'], [struct.pack('>BBH', alg, flags, iterations) +
                        _s(salt) + _s(next_hash) + type_bitmap(types)]


def NSEC3PARAM(alg, flags, iterations, salt):
    return T['NSEC3PARAM'], [struct.pack('>BBH', alg, flags, iterations) + _s(salt)]


def SSHFP(alg, fptype, fp):
    return T['SSHFP'], [bytes([alg, fptype]) + fp]


def TLSA(usage, selector, mtype, data, tname='TLSA'):
    return T[tname], [bytes([usage, selector, mtype]) + data]


def CAA(flags, tag, value):
    if isinstance(value, str):
        value = value.encode('latin-1')
    return T['CAA'], [bytes([flags]) + _s(tag) + value]


def BLOB(tname, data):
    """OPENPGPKEY, DHCID and the types printed as RFC 3597 (LOC, NULL...)."""
    return T[tname], [data]


def URI(prio, weight, target):
    return T['URI'], [struct.pack('>HH', prio, weight) + target.encode('latin-1')]


def svc_param(key, value=b''):
    return struct.pack('>HH', key, len(value)) + value


def alpn(*ids):
    return svc_param(1, b''.join(_s(i) for i in ids))


def SVCB(prio, target, params=(), tname='SVCB', compress=False):
    """params: wire-encoded SvcParams (svc_param()), in ascending key order."""
    return T[tname], [struct.pack('>H', prio), _n(target, compress),
                      b''.join(params)]


def HTTPS(prio, target, params=()):
    return SVCB(prio, target, params, tname='HTTPS')


def UNKNOWN(rtype, data):
    return rtype, [data]
