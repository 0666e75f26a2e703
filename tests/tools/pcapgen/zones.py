"""The realistic generator's world: zones, names, and how servers answer.

`build(rng, size)` returns lists of Entry(qname, qtype, qclass, respond):
what clients ask for (the caller ranks them and draws Zipf ranks).
respond(ctx) returns the Answer a recursive resolver would send. Ctx
carries the time offset (some addresses change mid-capture, CDN answers
rotate) and whether the query set DO.
"""
import base64
import collections

from . import rdata as R
from .dnsmsg import RR, name, NOERROR, NXDOMAIN, SERVFAIL, CLASS_CH

Entry = collections.namedtuple('Entry', 'qname qtype qclass respond')
Answer = collections.namedtuple('Answer', 'rcode answer authority additional')
Ctx = collections.namedtuple('Ctx', 't rng do')

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, NAPTR = 1, 2, 5, 6, 12, 15, 16, 28, 33, 35
DNAME, DS, SSHFP, RRSIG, NSEC, DNSKEY, NSEC3, TLSA = 39, 43, 44, 46, 47, 48, 50, 52
SVCB, HTTPS, CAA, PRIVATE = 64, 65, 257, 65280

TLDS = ('com', 'net', 'org', 'de', 'io', 'co.uk')
WORDS = ('alpha', 'bravo', 'cedar', 'delta', 'ember', 'fjord', 'garnet', 'harbor',
         'indigo', 'juniper', 'kestrel', 'lumen', 'maple', 'nimbus', 'onyx',
         'pylon', 'quartz', 'raven', 'sierra', 'tundra', 'umber', 'vertex',
         'willow', 'xenon', 'yonder', 'zephyr')
HOSTS = ('www', 'api', 'cdn', 'static', 'login', 'img', 'app', 'm', 'shop',
         'blog', 'vpn', 'git', 'status', 'news', 'media', 'auth')
ODD_INSTANCES = (b'Office Printer (2nd floor)', b"Bob's MacBook Pro", b'Room 1.2',
                 b'caf\xc3\xa9 "menu"', b'semi;colon@host$', b'tab\there\\x')
TXT_EXTRA = ('v=spf1 include:_spf.mail.example.net ~all', 'say "hi"\\ok',
             b'caf\xc3\xa9 \x00\x7f\xff', '', 'google-site-verification=7Xk2')


def mixed_case(rng, labels):
    """0x20 randomisation as resolvers do it (only ASCII letters change)."""
    return tuple(bytes(b ^ 0x20 if 0x61 <= (b | 0x20) <= 0x7a and rng.random() < 0.5
                       else b for b in lab) for lab in labels)


class Zone:
    def __init__(self, rng, apex, signed):
        self.rng = rng
        self.apex = apex
        self.signed = signed
        ext = rng.random() < 0.5
        base = name('dns%d.provider-dns.net' % rng.randrange(1, 9)) if ext else apex
        self.ns_names = [(b'ns%d' % i,) + base for i in (1, 2)]
        self.glue = {n: '198.51.100.%d' % rng.randrange(1, 255) for n in self.ns_names}
        self.soa = RR(apex, *R.SOA(self.ns_names[0], (b'hostmaster',) + apex,
                                   2024010100 + rng.randrange(99)), ttl=3600)
        self.keys = [R.DNSKEY(f, 3, 8, rng.randbytes(260)) for f in (257, 257, 256, 256)]
        self.tag = rng.randrange(65536)

    def sig(self, owner, rtype):
        if not self.signed:
            return []
        labels = len([lab for lab in owner if lab != b'*'])
        tags = (self.tag, self.tag ^ 0x5A5A) if rtype == DNSKEY else (self.tag,)
        return [RR(owner, *R.RRSIG(rtype, 8, labels, 300, 1706745600, 1704067200,
                                   tag, self.apex, self.rng.randbytes(256))) for tag in tags]

    def ns_set(self):
        return [RR(self.apex, *R.NS(n), ttl=86400) for n in self.ns_names]

    def glue_set(self):
        return [RR(n, *R.A(a), ttl=86400) for n, a in self.glue.items()
                if n[-len(self.apex):] == self.apex]

    def positive(self, answer, ctx, rtype):
        """Adds RRSIGs (DO), sometimes authority NS and in-zone glue."""
        an = list(answer)
        if ctx.do and self.signed and an:
            an += self.sig(an[-1].owner, rtype)
        ns, ar = [], []
        if ctx.rng.random() < 0.3:
            ns = self.ns_set()
            ar = self.glue_set()
            if ctx.rng.random() < 0.3:   # out-of-bailiwick extra, as some servers add
                ar.append(RR(name('ns.unrelated-example.net'), *R.A('203.0.113.9')))
        return Answer(NOERROR, an, ns, ar)

    def negative(self, ctx, rcode):
        ns = [self.soa] + (self.sig(self.apex, SOA) if ctx.do else [])
        if ctx.do and self.signed:
            for _ in range(2 if rcode == NXDOMAIN else 1):
                owner = (hash_label(self.rng),) + self.apex
                ns.append(RR(owner, *R.NSEC3(1, 0, 0, b'', self.rng.randbytes(20),
                                             [A, AAAA, RRSIG])))
                ns += self.sig(owner, NSEC3)
        return Answer(rcode, [], ns, [])


def hash_label(rng):
    return base64.b32hexencode(rng.randbytes(20)).lower().rstrip(b'=')


class Builder:
    def __init__(self, rng):
        self.rng = rng
        self.entries = []
        self.addr_n = 0

    def v4(self):
        self.addr_n += 1
        return '198.18.%d.%d' % (self.addr_n // 250 % 256, self.addr_n % 250 + 1)

    def v6(self):
        self.addr_n += 1
        return '2001:db8:%x::%x' % (self.addr_n // 4096 + 1, self.addr_n % 4096 + 1)

    def add(self, qname, qtype, respond, qclass=1):
        self.entries.append(Entry(qname, qtype, qclass, respond))

    def zone(self):
        rng = self.rng
        apex = name('%s%d.%s' % (rng.choice(WORDS), rng.randrange(1000),
                                 rng.choice(TLDS)))
        if rng.random() < 0.2:
            apex = mixed_case(rng, apex)        # zone data written in mixed case
        z = Zone(rng, apex, rng.random() < 0.3)
        self.hosts(z)
        self.apex_records(z)
        self.services(z)
        for _ in range(rng.randrange(1, 4)):    # names that do not exist
            label = rng.choice([b'wpad', b'localhost', b'isatap',
                                hash_label(rng)[:rng.randrange(7, 16)]])
            self.add((label,) + apex, rng.choice([A, AAAA, A, TXT]),
                     lambda c, z=z: z.negative(c, NXDOMAIN))
        return z

    def address_entries(self, z, owner, chain=()):
        """A and AAAA entries; some rotate (CDN) or change once mid-capture."""
        rng = self.rng
        style = rng.random()
        v4 = [self.v4() for _ in range(4 if style < 0.2 else 1 + (style > 0.6))]
        v6 = [self.v6() for _ in range(len(v4))] if rng.random() < 0.6 else []
        final = chain[-1].parts[0].labels if chain else owner
        changed = (self.v4(), rng.uniform(30, 200)) if style > 0.9 else None

        def respond(ctx, rtype, addrs, mk):
            if not addrs:
                return z.positive(chain, ctx, rtype) if chain else z.negative(ctx, NOERROR)
            if len(addrs) == 4:
                addrs = ctx.rng.sample(addrs, 2)
            elif changed and mk is R.A and ctx.t > changed[1]:
                addrs = [changed[0]]
            return z.positive(list(chain) + [RR(final, *mk(a)) for a in addrs], ctx, rtype)

        self.add(owner, A, lambda c: respond(c, A, v4, R.A))
        self.add(owner, AAAA, lambda c: respond(c, AAAA, v6, R.AAAA))
        for a in v4:
            rev = tuple(reversed(a.encode().split(b'.'))) + (b'in-addr', b'arpa')
            self.add(rev, PTR, lambda c, rev=rev: Answer(
                NOERROR, [RR(rev, *R.PTR(final))], [], []))

    def hosts(self, z):
        rng = self.rng
        for h in rng.sample(HOSTS, rng.randrange(2, 6)):
            owner = (h.encode(),) + z.apex
            if rng.random() < 0.25:             # CNAME chain to a CDN, 2-3 hops
                hops = [owner, owner + (b'cdn-%d' % rng.randrange(9), b'net'),
                        (b'e%d' % rng.randrange(9999), b'a', b'edge-cache', b'net')]
                if rng.random() < 0.5:
                    hops.insert(2, mixed_case(rng, (b'lb%d' % rng.randrange(99),
                                                    b'glb', b'cdn-geo', b'com')))
                chain = [RR(hops[i], *R.CNAME(hops[i + 1]))
                         for i in range(len(hops) - 1)]
                self.address_entries(z, owner, chain)
            else:
                self.address_entries(z, owner)
        self.address_entries(z, z.apex)
        self.address_entries(z, (b'mail',) + z.apex)

    def apex_records(self, z):
        rng, apex = self.rng, z.apex
        rr = lambda *x: RR(apex, *x)
        static = {
            NS: [RR(apex, *R.NS(n), ttl=86400) for n in z.ns_names],
            SOA: [z.soa],
            MX: [rr(*R.MX(10 * i, (b'mx%d' % i,) + apex)) for i in range(1, 3)],
            TXT: [rr(*R.TXT(rng.choice(TXT_EXTRA))),
                  rr(*R.TXT('v=DKIM1; k=rsa; p=' + 'M' * 200, 'IDAQAB' * 20))],
            CAA: [rr(*R.CAA(0, 'issue', 'letsencrypt.org')),
                  rr(*R.CAA(0, 'iodef', 'mailto:security@example.org')),
                  rr(*R.CAA(128, 'tbs', 'Unknown'))],
            HTTPS: [rr(*R.HTTPS(1, (), [R.alpn('h3', 'h2'), R.svc_param(4, bytes([198, 18, 0, 1])),
                                        R.svc_param(6, bytes(15) + b'\1')]))],
        }
        if z.signed:
            static[DNSKEY] = [rr(*k) for k in z.keys]
            static[DS] = [rr(*R.DS(z.tag, 8, 2, rng.randbytes(32)))]
            static[NSEC] = [rr(*R.NSEC((b'a',) + apex, [A, NS, SOA, MX, TXT, AAAA,
                                                        RRSIG, NSEC, DNSKEY, CAA]))]
        if rng.random() < 0.15:                 # a big TXT set: > 1500 octets
            static[TXT] += [rr(*R.TXT('token-%02d=' % i + hash_label(rng).decode() * 2))
                            for i in range(22)]
        for t, rrs in static.items():
            self.add(apex, t, lambda c, rrs=rrs, t=t: z.positive(rrs, c, t))

    def services(self, z):
        rng, apex = self.rng, z.apex
        add_static = lambda owner, t, rrs: self.add(
            owner, t, lambda c: z.positive(rrs, c, t))
        sip = (b'_sip', b'_tcp') + apex
        add_static(sip, SRV, [RR(sip, *R.SRV(10, w, 5060, (b'sip%d' % w,) + apex))
                              for w in (20, 60)])
        tlsa = (b'_443', b'_tcp', b'www') + apex
        add_static(tlsa, TLSA, [RR(tlsa, *R.TLSA(3, 1, 1, rng.randbytes(32)))])
        host = (b'ssh',) + apex
        add_static(host, SSHFP, [RR(host, *R.SSHFP(a, 2, rng.randbytes(32)))
                                 for a in (1, 4)])
        if rng.random() < 0.3:                  # DNS-SD with odd instance names
            browse = (b'_ipp', b'_tcp') + apex
            insts = [(i,) + browse for i in rng.sample(ODD_INSTANCES, 2)]
            add_static(browse, PTR, [RR(browse, *R.PTR(i)) for i in insts])
            for i in insts:
                add_static(i, SRV, [RR(i, *R.SRV(0, 0, 631, (b'printer',) + apex))])
                add_static(i, TXT, [RR(i, *R.TXT('txtvers=1', b'note=' + i[0],
                                                 'pdl=application/pdf'))])
        if rng.random() < 0.2:                  # a private-use type: RFC 3597 output
            owner = (b'private',) + apex
            add_static(owner, PRIVATE, [RR(owner, *R.UNKNOWN(PRIVATE, rng.randbytes(9)))])
        if rng.random() < 0.1:                  # DNAME: old.zone -> zone
            old = (b'old',) + apex
            target = (b'www',) + apex
            q = (b'www',) + old
            add_static(q, A, [RR(old, *R.DNAME(apex)), RR(q, *R.CNAME(target)),
                              RR(target, *R.A(self.v4()))])
        if rng.random() < 0.2:                  # CNAME into a name that does not exist
            dangling = (b'old-shop',) + apex
            self.add(dangling, A, lambda c: Answer(
                NXDOMAIN, [RR(dangling, *R.CNAME((b'gone', b'shop-host', b'com')))],
                [], []))
        if rng.random() < 0.1:                  # a broken delegation
            lame = (b'lame',) + apex
            self.add(lame, A, lambda c: Answer(SERVFAIL, [], [], []))
        if z.signed:
            owner = (hash_label(rng),) + apex
            add_static(owner, NSEC3, [RR(owner, *R.NSEC3(1, 1, 0, rng.randbytes(8),
                                                         rng.randbytes(20), [A, AAAA]))])


def specials(b):
    """One-off names every capture has."""
    vb = name('version.bind')
    b.add(vb, TXT, lambda c: Answer(NOERROR, [RR(vb, *R.TXT('9.18.19-1~deb12u1-Debian'),
                                                 rclass=CLASS_CH)], [], []), qclass=CLASS_CH)
    doh = name('_dns.resolver.arpa')
    b.add(doh, SVCB, lambda c: Answer(NOERROR, [
        RR(doh, *R.SVCB(1, name('dns.example.net'), [
            R.svc_param(0, b'\0\1'), R.alpn('h2', 'h3', 'dot'), R.svc_param(3, b'\1\xbb'),
            R.svc_param(4, bytes([192, 0, 2, 53])), R.svc_param(5, b'\xfe\x0d\0\4echo'),
            R.svc_param(6, bytes.fromhex('20010db8000000000000000000000053')),
            R.svc_param(7, b'/dns-query{?dns}')]))], [], []))
    e164 = name('4.3.2.1.5.5.5.0.0.8.1.e164.arpa')
    b.add(e164, NAPTR, lambda c: Answer(NOERROR, [
        RR(e164, *R.NAPTR(100, 10, 'u', 'E2U+sip', '!^.*$!sip:info@example.org!', ())),
        RR(e164, *R.NAPTR(102, 10, 'S', 'SIP+D2U', '', name('_sip._udp.example.org')))],
        [], []))
    org = name('example.org')                   # DNS-SD: odd bytes in instance names
    browse = (b'_ipp', b'_tcp') + org
    insts = [(i,) + browse for i in ODD_INSTANCES]
    b.add(browse, PTR, lambda c: Answer(NOERROR, [RR(browse, *R.PTR(i)) for i in insts], [], []))
    for i in insts[:3]:
        b.add(i, TXT, lambda c, i=i: Answer(NOERROR, [RR(i, *R.TXT('txtvers=1', b'ty=' + i[0]))],
                                            [], []))
    priv = name('private.example.org')          # private-use type: RFC 3597 output
    b.add(priv, PRIVATE, lambda c: Answer(NOERROR, [RR(priv, *R.UNKNOWN(PRIVATE, b'\x01\x02'))],
                                          [], []))
    for i in range(6):                          # single-label probes: NXDOMAIN from root
        probe = (hash_label(b.rng)[:7 + i],)
        root_soa = RR((), *R.SOA(name('a.root-servers.net'), name('nstld.verisign-grs.com'),
                                 2024010100), ttl=86400)
        b.add(probe, A, lambda c, s=root_soa: Answer(NXDOMAIN, [], [s], []))


def build(rng, size):
    """(specials, entries): the one-off names, then the zones' names."""
    b = Builder(rng)
    specials(b)
    n = len(b.entries)
    while len(b.entries) < size:
        b.zone()
    return b.entries[:n], b.entries[n:]
