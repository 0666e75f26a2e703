"""tests/data cases about which records become observations (the rules of
docs/observations.md): RCODEs, TC, opcodes, classes, pseudo-RRs, repeats,
chains, bailiwick."""
from . import rdata as R
from .crafted import Case, case, query, reply, C4, S4
from .dnsmsg import RR, Message, name, QR, RD, RA, TC, NXDOMAIN, SERVFAIL, REFUSED, CLASS_CH

EX = name('example.com')
n = name


@case
def dns_repeated_rr_in_one_response():
    c = Case('dns_repeated_rr_in_one_response.pcap', 'the same A record three times '
             '(once in other case) in one response, then once in a second response: '
             'count 2')
    rr = RR(n('www.example.com'), *R.A('192.0.2.40'))
    upper = RR(n('WWW.EXAMPLE.COM'), *R.A('192.0.2.40'))
    q = query(rr.owner, 1, 0x3800)
    c.exchange(q, reply(q, [rr, rr, upper]))
    q = query(rr.owner, 1, 0x3801)
    c.exchange(q, reply(q, [rr]))
    return c


@case
def dns_class_chaos():
    c = Case('dns_class_chaos.pcap', 'CH-class TXT (version.bind), and an IN answer '
             'next to a CH one: only class IN is observed (rrs_skipped_class 2)')
    vb = n('version.bind')
    q = query(vb, 16, 0x3900, qclass=CLASS_CH)
    c.exchange(q, reply(q, [RR(vb, *R.TXT('9.18.19'), rclass=CLASS_CH)]))
    w = n('mixed.example.com')
    q = query(w, 1, 0x3901)
    c.exchange(q, reply(q, [RR(w, *R.A('192.0.2.39')), RR(w, *R.A('192.0.2.40'), rclass=CLASS_CH)]))
    return c


@case
def dns_opcode_not_query():
    c = Case('dns_opcode_not_query.pcap', 'responses with OPCODE NOTIFY (4) and '
             'UPDATE (5) carrying records: nothing observed')
    for i, op in enumerate((4, 5)):
        m = Message(0x3A00 + i, QR | RA, opcode=op, question=(EX, 6, 1),
                    answer=[RR(EX, *R.SOA(n('ns1.example.com'), n('h.example.com'), 9))])
        c.send(m)
    return c


@case
def dns_query_with_answer():
    c = Case('dns_query_with_answer.pcap', 'a query (QR=0) that carries an answer '
             'record: queries never yield observations')
    w = n('www.example.com')
    c.send(Message(0x3B00, RD, question=(w, 1, 1), answer=[RR(w, *R.A('192.0.2.66'))]))
    return c


@case
def dns_pseudo_rrs():
    c = Case('dns_pseudo_rrs.pcap', 'TKEY in the answer and TSIG in the additional '
             'section next to a real A record: pseudo-RRs are skipped')
    w = n('www.example.com')
    key = n('key.example.com')
    tkey = RR(key, 249, [b'\x0bhmac-sha256\x00' + bytes(16)], ttl=0, rclass=255)
    tsig = RR(key, 250, [b'\x0bhmac-sha256\x00' + bytes(16)], ttl=0, rclass=255)
    q = query(w, 1, 0x3C00, edns=False)
    c.exchange(q, reply(q, [RR(w, *R.A('192.0.2.60')), tkey], additional=[tsig]))
    return c


@case
def dns_port_53_to_53():
    c = Case('dns_port_53_to_53.pcap', 'server-to-server query and response with '
             'both ports 53')
    w = n('www.example.com')
    q = query(w, 1, 0x3D00)
    r = reply(q, [RR(w, *R.A('192.0.2.53'))])
    c.udp(C4, S4, 53, 53, q.to_wire())
    c.note(q)
    c.udp(S4, C4, 53, 53, r.to_wire())
    c.note(r)
    return c


@case
def dns_cname_chain():
    c = Case('dns_cname_chain.pcap', 'a three-hop CNAME chain ending in two A '
             'records, and the same chain ending in AAAA')
    hops = [n('www.example.com'), n('www.example.com.cdn.example.net'),
            n('lb.geo.example.net'), n('e1.edge.example.org')]
    chain = [RR(hops[i], *R.CNAME(hops[i + 1])) for i in range(3)]
    q = query(hops[0], 1, 0x3E00)
    c.exchange(q, reply(q, chain + [RR(hops[3], *R.A('192.0.2.71')),
                                    RR(hops[3], *R.A('192.0.2.72'))]))
    q = query(hops[0], 28, 0x3E01)
    c.exchange(q, reply(q, chain + [RR(hops[3], *R.AAAA('2001:db8::71'))]), v6=True)
    return c


@case
def dns_dname():
    c = Case('dns_dname.pcap', 'DNAME with the synthesised CNAME and the final A')
    q = query(n('www.old.example.com'), 1, 0x3F00)
    c.exchange(q, reply(q, [RR(n('old.example.com'), *R.DNAME(EX)),
                            RR(q.question[0], *R.CNAME(n('www.example.com'))),
                            RR(n('www.example.com'), *R.A('192.0.2.80'))]))
    return c


def soa(zone=EX):
    return RR(zone, *R.SOA((b'ns1',) + zone, (b'hostmaster',) + zone, 2024010101))


@case
def dns_truncated_tc():
    c = Case('dns_truncated_tc.pcap', 'a TC=1 response holding one of its answers: '
             'nothing observed (responses_truncated)')
    w = n('big.example.com')
    q = query(w, 1, 0x4000, edns=False)
    c.exchange(q, reply(q, [RR(w, *R.A('192.0.2.90'))], flags=TC))
    c.omit.add('responses_noerror')
    return c


@case
def dns_nxdomain():
    c = Case('dns_nxdomain.pcap', 'NXDOMAIN with SOA in authority, for AAAA and '
             'then A of the same name: two negative observations')
    w = n('nx.example.com')
    for i, t in enumerate((28, 1)):
        q = query(w, t, 0x4100 + i)
        c.exchange(q, reply(q, rcode=NXDOMAIN, authority=[soa()]))
    return c


@case
def dns_nxdomain_with_cname():
    c = Case('dns_nxdomain_with_cname.pcap', 'NXDOMAIN whose answer holds a CNAME to '
             'the missing name: only the negative (qname, qtype) is observed')
    w = n('old.example.com')
    q = query(w, 1, 0x4200)
    c.exchange(q, reply(q, [RR(w, *R.CNAME(n('gone.example.net')))], rcode=NXDOMAIN,
                        authority=[soa(n('example.net'))]))
    return c


@case
def dns_servfail():
    c = Case('dns_servfail.pcap', 'SERVFAIL response: nothing (responses_error)')
    q = query(n('lame.example.com'), 1, 0x4300)
    c.exchange(q, reply(q, rcode=SERVFAIL))
    return c


@case
def dns_refused():
    c = Case('dns_refused.pcap', 'REFUSED response with a stray answer: nothing '
             '(responses_error)')
    w = n('www.example.com')
    q = query(w, 1, 0x4400)
    c.exchange(q, reply(q, [RR(w, *R.A('192.0.2.44'))], rcode=REFUSED))
    return c


@case
def dns_nodata():
    c = Case('dns_nodata.pcap', 'NOERROR without answers, SOA in authority: nothing '
             'by default; with all sections the SOA (in bailiwick)', sections=True)
    q = query(n('www.example.com'), 28, 0x4500)
    c.exchange(q, reply(q, authority=[soa()]))
    return c


@case
def dns_bailiwick():
    c = Case('dns_bailiwick.pcap', 'authority/additional records in and out of '
             'bailiwick: a delegation with in-zone and foreign glue, an ancestor NS '
             'above the bailiwick, and a poisoning attempt with NS for an unrelated '
             'zone', sections=True)
    w = n('www.example.com')
    q = query(w, 1, 0x4600)
    c.exchange(q, reply(q, [RR(w, *R.A('192.0.2.46'))],
                        authority=[RR(EX, *R.NS(n('ns1.example.com'))),
                                   RR(EX, *R.NS(n('ns.other.example.net')))],
                        additional=[RR(n('ns1.example.com'), *R.A('192.0.2.47')),
                                    RR(n('ns.other.example.net'), *R.A('198.51.100.47'))]))
    deep = n('a.b.example.org')
    q = query(deep, 1, 0x4601)
    c.exchange(q, reply(q, [RR(deep, *R.A('192.0.2.48'))],
                        authority=[RR(n('org'), *R.NS(n('a0.org-servers.example'))),
                                   RR(n('example.org'), *R.NS(n('ns.example.org')))],
                        additional=[RR(n('ns.example.org'), *R.A('192.0.2.49')),
                                    RR(n('a0.org-servers.example'), *R.A('198.51.100.49'))]))
    victim = n('www.victim.example')
    q = query(victim, 1, 0x4602)
    c.exchange(q, reply(q, [RR(victim, *R.A('192.0.2.50'))],
                        authority=[RR(n('attacker.example'), *R.NS(n('ns.attacker.example')))],
                        additional=[RR(victim, *R.A('203.0.113.66')),
                                    RR(n('ns.attacker.example'), *R.A('203.0.113.67'))]))
    return c


@case
def dns_query_only():
    c = Case('dns_query_only.pcap', 'queries without responses (A, AAAA, with and '
             'without EDNS, over IPv4 and IPv6): no observations')
    for i, (t, edns, v6) in enumerate(((1, True, False), (28, False, False), (1, True, True))):
        c.send(query(n('q%d.example.com' % i), t, 0x4700 + i, edns=edns), v6=v6)
    return c

