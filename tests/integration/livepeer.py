#!/usr/bin/python3
"""A real DNS peer for the live-capture test, run inside a network namespace.

  livepeer.py udp SRC DST          send the UDP responses from SRC:53 to DST
  livepeer.py tcp-server ADDR      answer TCP queries on ADDR:53 (split sends)
  livepeer.py tcp-client ADDR      query ADDR:53 over TCP, read the answers

messages() is also imported by the test to compute the expected
observations with the generator's independent truth rules.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'tools'))

from pcapgen import dnsmsg, rdata  # noqa: E402
from pcapgen.dnsmsg import QR, RD, RA, Message, RR, name  # noqa: E402


def _resp(ident, qname, qtype, answers, rcode=dnsmsg.NOERROR):
    return Message(ident, QR | RD | RA, rcode, question=(name(qname), qtype, 1),
                   answer=[RR(name(o), *r) for o, r in answers])


def messages():
    """(transport, Message) pairs: what the peers send."""
    big = [('Big.Live.Example', rdata.TXT('x' * 200, 'chunk-%02d' % i)) for i in range(14)]
    return [
        ('udp', _resp(1, 'WWW.live.example', 1, [('www.live.example', rdata.A('192.0.2.10'))])),
        ('udp', _resp(2, 'www.live.example', 28,
                      [('www.live.example', rdata.AAAA('2001:db8::10'))])),
        ('udp', _resp(3, 'alias.live.example', 1,
                      [('alias.live.example', rdata.CNAME(name('www.live.example'))),
                       ('www.live.example', rdata.A('192.0.2.10'))])),
        ('udp', _resp(4, 'gone.live.example', 1, [], rcode=dnsmsg.NXDOMAIN)),
        ('udp', _resp(5, 'big.live.example', 16, big)),  # > MTU: IP fragments
        ('udp6', _resp(6, 'big6.live.example', 16,
                       [('big6.live.example', rdata.TXT('y' * 250, 'part-%02d' % i))
                        for i in range(12)])),
        ('tcp', _resp(7, 'tcp.live.example', 15,
                      [('tcp.live.example', rdata.MX(10, name('mx.live.example')))])),
        ('tcp', _resp(8, 'tcp2.live.example', 1,
                      [('tcp2.live.example', rdata.A('192.0.2.20'))])),
        ('tcp', _resp(9, 'tcp3.live.example', 1,
                      [('tcp3.live.example', rdata.A('192.0.2.30'))])),
    ]


def send_udp(src, dst):
    for transport, msg in messages():
        if transport == 'udp':
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 53))
            s.sendto(msg.to_wire(), (dst, 40000))
        elif transport == 'udp6':
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.bind((src6(src), 53))
            s.sendto(msg.to_wire(), (src6(dst), 40000))
        else:
            continue
        s.close()


def src6(v4):
    """The IPv6 address the test gives the same end: fd00:53::<last octet>."""
    return 'fd00:53::%s' % v4.rsplit('.', 1)[1]


def framed(msg):
    w = msg.to_wire()
    return struct.pack('>H', len(w)) + w


def tcp_server(addr):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, 53))
    srv.listen(1)
    print('ready', flush=True)
    conn, _ = srv.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.recv(512)  # the query
    tcp = [m for t, m in messages() if t == 'tcp']
    first = framed(tcp[0])
    # One response split over three segments...
    for part in (first[:1], first[1:9], first[9:]):
        conn.sendall(part)
        time.sleep(0.05)
    # ...then two responses in one segment.
    conn.sendall(framed(tcp[1]) + framed(tcp[2]))
    time.sleep(0.2)
    conn.close()
    srv.close()


def tcp_client(addr):
    q = Message(7, RD, question=(name('tcp.live.example'), 15, 1)).to_wire()
    c = socket.create_connection((addr, 53), timeout=10)
    c.sendall(struct.pack('>H', len(q)) + q)
    while c.recv(4096):
        pass
    c.close()


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'udp':
        send_udp(sys.argv[2], sys.argv[3])
    elif mode == 'tcp-server':
        tcp_server(sys.argv[2])
    elif mode == 'tcp-client':
        tcp_client(sys.argv[2])
    else:
        sys.exit('unknown mode ' + mode)
