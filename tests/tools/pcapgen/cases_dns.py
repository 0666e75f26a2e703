"""tests/data cases about well-formed DNS: every type's presentation, odd
bytes in names, case, compression, the longest name."""
from . import rdata as R
from .crafted import Case, case, query, reply
from .dnsmsg import RR, name

EX = name('example.com')
n = name


def table_types():
    """(owner, rdata) for every row of the presentation table."""
    key = bytes(range(1, 33))
    sig = bytes(range(64))
    rows = [
        ('a', R.A('192.0.2.1')), ('aaaa', R.AAAA('2001:db8::1')),
        ('ns', R.NS(n('ns1.example.com'))), ('cname', R.CNAME(n('target.example.net'))),
        ('dname', R.DNAME(n('example.net'))), ('ptr', R.PTR(n('host.example.com'))),
        ('mb', R.single_name('MB', n('mbox.example.com'))),
        ('md', R.single_name('MD', n('md.example.com'))),
        ('mf', R.single_name('MF', n('mf.example.com'))),
        ('mg', R.single_name('MG', n('mg.example.com'))),
        ('mr', R.single_name('MR', n('mr.example.com'))),
        ('soa', R.SOA(n('ns1.example.com'), n('hostmaster.example.com'), 2024010101)),
        ('mx', R.MX(10, n('mail.example.com'))), ('kx', R.pref_name('KX', 20, n('kx.example.com'))),
        ('rt', R.pref_name('RT', 30, n('relay.example.com'))),
        ('afsdb', R.pref_name('AFSDB', 1, n('afs.example.com'))),
        ('minfo', R.two_names('MINFO', n('admin.example.com'), n('errors.example.com'))),
        ('rp', R.two_names('RP', n('admin.example.com'), n('info.example.com'))),
        ('px', R.PX(10, n('map822.example.com'), n('mapx400.example.com'))),
        ('hinfo', R.HINFO('x86_64', 'Linux 6.1')),
        ('txt', R.TXT('hello world', 'second "string"')),
        ('spf', R.TXT('v=spf1 -all', tname='SPF')),
        ('srv', R.SRV(10, 60, 5060, n('sip.example.com'))),
        ('naptr', R.NAPTR(100, 10, 'S', 'SIP+D2U', '', n('_sip._udp.example.com'))),
        ('ds', R.DS(12345, 13, 2, key)), ('cds', R.DS(12345, 13, 2, key, tname='CDS')),
        ('dnskey', R.DNSKEY(257, 3, 13, sig)),
        ('cdnskey', R.DNSKEY(257, 3, 13, sig, tname='CDNSKEY')),
        ('rrsig', R.RRSIG(1, 13, 3, 3600, 1706745600, 1704067200, 12345, EX, sig)),
        ('nsec', R.NSEC(n('next.example.com'), [1, 2, 6, 15, 16, 28, 46, 47, 48, 257])),
        ('nsec3', R.NSEC3(1, 1, 10, bytes.fromhex('aabbccdd'), bytes(range(20)), [1, 28, 46])),
        ('nsec3param', R.NSEC3PARAM(1, 0, 10, bytes.fromhex('aabbccdd'))),
        ('sshfp', R.SSHFP(4, 2, key)), ('tlsa', R.TLSA(3, 1, 1, key)),
        ('smimea', R.TLSA(3, 0, 1, key, tname='SMIMEA')),
        ('caa', R.CAA(0, 'issue', 'letsencrypt.org; validationmethods=dns-01')),
        ('openpgpkey', R.BLOB('OPENPGPKEY', sig)), ('dhcid', R.BLOB('DHCID', key + b'\x01')),
        ('uri', R.URI(10, 1, 'https://www.example.com/path?q=1')),
        ('svcb', R.SVCB(1, n('svc.example.net'), [R.alpn('h2'), R.svc_param(3, b'\x20\xfb')])),
        ('https', R.HTTPS(1, (), [R.svc_param(0, b'\x00\x04'), R.alpn('h3', 'h2'),
                                  R.svc_param(2), R.svc_param(3, b'\x01\xbb'),
                                  R.svc_param(4, bytes([192, 0, 2, 1, 192, 0, 2, 2])),
                                  R.svc_param(5, b'\xfe\x0d\x00\x01\x02'),
                                  R.svc_param(6, bytes.fromhex('20010db8' + '0' * 23 + '1')),
                                  R.svc_param(7, b'/dns-query{?dns}')])),
    ]
    return [((lab.encode(), b'types') + EX, rd) for lab, rd in rows]


def one_response_each(c, rows, ident=0x3000, with_queries=True):
    """A response per (owner, rdata); without queries or EDNS when the
    capture would otherwise grow past a few KB."""
    for i, (owner, (rtype, parts)) in enumerate(rows):
        q = query(owner, rtype, ident + i, edns=with_queries)
        if with_queries:
            c.send(q)
        c.send(reply(q, [RR(owner, rtype, parts)]))
        c.port += 1
    return c


@case
def dns_every_type():
    c = Case('dns_every_type.pcap', 'one response per row of the presentation '
             'table in docs/observations.md (41 types; responses only)')
    return one_response_each(c, table_types(), with_queries=False)


@case
def dns_mnemonic_only_types():
    c = Case('dns_mnemonic_only_types.pcap', 'known mnemonics without a table row '
             '(NULL WKS LOC CERT APL IPSECKEY HIP CSYNC ZONEMD EUI48 EUI64): '
             'mnemonic as rrtype, RFC 3597 rdata')
    blobs = {'NULL': b'\x00anything', 'WKS': bytes([192, 0, 2, 1, 6, 0, 0, 0, 0x40]),
             'LOC': bytes.fromhex('0012161389b5b8e0800daa3500989680'),
             'CERT': b'\x00\x01\x00\x00\x08' + bytes(range(16)),
             'APL': bytes.fromhex('00011803c00002'),
             'IPSECKEY': bytes.fromhex('0a0102' 'c0000201' '0102'),
             'HIP': b'\x10\x02\x00\x03' + bytes(16) + b'\x01\x02\x03',
             'CSYNC': bytes.fromhex('00000001' '0003' '0004' '60000000'),
             'ZONEMD': bytes.fromhex('78c0eb4d0101') + bytes(48),
             'EUI48': bytes.fromhex('00005e0053ff'), 'EUI64': bytes.fromhex('00005efffe0053ff')}
    rows = [((t.lower().encode(), b'types') + EX, R.BLOB(t, b)) for t, b in blobs.items()]
    return one_response_each(c, rows, 0x3100)


@case
def dns_unknown_type():
    c = Case('dns_unknown_type.pcap', 'types outside the mnemonic list: TYPE65280 '
             'with data, TYPE65534 empty (\\# 0), TYPE260')
    rows = [(n('private.example.com'), R.UNKNOWN(65280, bytes.fromhex('deadbeef00'))),
            (n('empty.example.com'), R.UNKNOWN(65534, b'')),
            (n('amt.example.com'), R.UNKNOWN(260, b'\x0a\x01\xc0\x00\x02\x01'))]
    return one_response_each(c, rows, 0x3200)


@case
def dns_presentation_edge_cases():
    c = Case('dns_presentation_edge_cases.pcap', 'empty strings and fields ("" and '
             '-), TXT escapes, mapped and zero AAAA, NSEC3 without salt or types, SVCB '
             'alias form and root target, keyNNN, alpn escapes, multi-window NSEC, '
             'RRSIG expiring in 2106')
    o = lambda lab: (lab.encode(), b'edge') + EX
    rows = [
        (o('txt-empty'), R.TXT('')),
        (o('txt-escapes'), R.TXT('q"b\\s', b'\x00\x1f\x7f\xff\t', 'sp ace;(x)@$')),
        (o('aaaa-mapped'), R.AAAA('::ffff:192.0.2.1')), (o('aaaa-zero'), R.AAAA('::')),
        (o('aaaa-runs'), R.AAAA('2001:db8:0:0:1:0:0:1')),
        (o('ds-empty'), R.DS(1, 8, 2, b'')), (o('dnskey-empty'), R.DNSKEY(256, 3, 8, b'')),
        (o('sshfp-empty'), R.SSHFP(1, 1, b'')), (o('openpgpkey-empty'), R.BLOB('OPENPGPKEY', b'')),
        (o('nsec3-bare'), R.NSEC3(1, 0, 0, b'', bytes(20), [])),
        (o('nsec3param-bare'), R.NSEC3PARAM(1, 0, 0, b'')),
        (o('nsec-windows'), R.NSEC(n('z.example.com'), [1, 257, 1234, 65280])),
        (o('rrsig-2106'), R.RRSIG(28, 8, 4, 300, 0xFFFFFFFF, 0, 1, n('Edge.Example.COM'), b'')),
        (o('svcb-alias'), R.SVCB(0, n('pool.svc.example.net'))),
        (o('https-root'), R.HTTPS(1, (), [R.alpn('h2')])),
        (o('svcb-keys'), R.SVCB(2, n('x.example.net'), [
            R.alpn('a,b', 'c\\d', 'e\x01'), R.svc_param(65000), R.svc_param(65001, b'v "q"')])),
        (o('caa-quote'), R.CAA(128, 'tbs', 'say "x"\\y')),
        (o('naptr-root'), R.NAPTR(1, 2, 'U', 'E2U+sip', '!^.*$!sip:a\\b@example.com!', ())),
        (o('mx-root'), R.MX(0, ())),
    ]
    return one_response_each(c, rows, 0x3300, with_queries=False)


@case
def dns_name_escapes():
    c = Case('dns_name_escapes.pcap', 'label bytes that need escapes: . \\ " ( ) ; @ '
             '$, space, NUL, DEL, 0xff, Latin-1 capitals (not lower-cased), in owners '
             'and CNAME/PTR targets, and the root name')
    odd = [(b'dot.in', b'label'), (b'back\\slash',), (b'q"(x);@$',),
           (b'sp ace\x00\x7f\xff',), (b'UPPER\xc4\xd6',)]
    for i, labs in enumerate(odd):
        owner = labs + EX
        q = query(owner, 5, 0x3400 + i)
        target = (b'T.' + bytes([0x41 + i]) + b' \\x',) + EX
        c.exchange(q, reply(q, [RR(owner, *R.CNAME(target))]))
    ptr = n('10.2.0.192.in-addr.arpa')
    q = query(ptr, 12, 0x3410)
    c.exchange(q, reply(q, [RR(ptr, *R.PTR((b'Office Printer (2nd)', b'_ipp', b'_tcp') + EX))]))
    q = query((), 2, 0x3411)
    c.exchange(q, reply(q, [RR((), *R.NS(n('a.root-servers.net')), ttl=518400)]))
    return c


@case
def dns_mixed_case():
    c = Case('dns_mixed_case.pcap', 'resolver-randomised case (0x20) in the question '
             'and owners, upper case in CNAME, SOA, MX, SRV, RRSIG signer, NSEC next '
             'and HTTPS target: everything ASCII is lower-cased')
    w = n('wWw.ExAmPlE.CoM')
    q = query(w, 1, 0x3500)
    c.exchange(q, reply(q, [RR(w, *R.CNAME(n('CDN.Example.NET'))),
                            RR(n('CDN.Example.NET'), *R.A('192.0.2.35'))]))
    apex = n('ExAmPlE.cOm')
    rows = [(apex, R.SOA(n('NS1.EXAMPLE.COM'), n('HostMaster.Example.Com'), 1)),
            (apex, R.MX(5, n('MAIL.Example.com'))),
            (n('_SIP._TCP.Example.com'), R.SRV(1, 1, 5060, n('SIP.EXAMPLE.COM'))),
            (apex, R.RRSIG(6, 13, 2, 300, 1706745600, 1704067200, 7, n('EXAMPLE.COM'), b'\x01')),
            (apex, R.NSEC(n('Next.Example.COM'), [1, 6])),
            (apex, R.HTTPS(1, n('SVC.Example.com'), [R.alpn('H2')])),
            (apex, R.TXT('MiXeD Case Stays'))]
    return one_response_each(c, rows, 0x3510)


@case
def dns_compression_in_rdata():
    c = Case('dns_compression_in_rdata.pcap', 'compression pointers inside rdata '
             'of every type whose names the contract decompresses and RFC 3597 lets '
             'senders compress (NS CNAME SOA PTR MX SRV MB MD MF MG MR MINFO RP AFSDB '
             'RT KX PX NAPTR), including pointers to pointers')
    z = n('zone.example.com')
    sub = lambda lab: (lab,) + z
    rows = [R.NS(sub(b'ns1')), R.CNAME(sub(b'alias')), R.SOA(sub(b'ns1'), sub(b'admin'), 7),
            R.PTR(sub(b'host')), R.MX(10, sub(b'mail')), R.SRV(1, 2, 3, (b'x',) + sub(b'mail')),
            R.single_name('MB', sub(b'mb')), R.single_name('MD', sub(b'md')),
            R.single_name('MF', sub(b'mf')), R.single_name('MG', sub(b'mg')),
            R.single_name('MR', sub(b'mr')),
            R.two_names('MINFO', sub(b'a'), (b'b',) + sub(b'a'), compress=True),
            R.two_names('RP', sub(b'rp'), (b'txt',) + sub(b'rp'), compress=True),
            R.pref_name('AFSDB', 1, sub(b'afs'), compress=True),
            R.pref_name('RT', 2, sub(b'rt'), compress=True),
            R.pref_name('KX', 3, sub(b'kx'), compress=True),
            R.PX(4, sub(b'p822'), sub(b'px400'), compress=True),
            R.NAPTR(1, 1, 'S', 'SIP+D2T', '', (b'_sip', b'_tcp') + z, compress=True)]
    q = query(z, 255, 0x3600)
    c.exchange(q, reply(q, [RR(z, t, parts) for t, parts in rows]))
    return c


@case
def dns_name_max_length():
    c = Case('dns_name_max_length.pcap', 'a name of exactly 255 octets (63+63+63+61 '
             'byte labels) as question, owner and CNAME target: valid')
    long_name = (b'a' * 63, b'b' * 63, b'c' * 63, b'd' * 61)
    q = query(long_name, 5, 0x3700)
    c.exchange(q, reply(q, [RR(long_name, *R.CNAME(long_name[:3] + (b'e' * 61,)))]))
    return c
