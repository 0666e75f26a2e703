#!/usr/bin/python3
"""Check captures with tshark: do they decode as intended?

  tshark_check.py [CAPTURE ...]     (default: every capture in tests/data)

For each capture, with IP/UDP/TCP checksum verification, defragmentation,
TCP reassembly including out-of-order segments, and two passes:
- tshark's expert items at warning level and above (less the ones that
  describe the traffic: out-of-order, retransmission, connection setup);
- tshark_truth.py's observations against NAME.expected (or
  NAME.truth.jsonl), and NAME.sections_all.expected with all sections;
- the counters tshark can count too (frames, DNS messages by kind, DNS
  messages over TCP, reassembled datagrams) against NAME.counters.
Where docs/observations.md is stricter than tshark (TSHARK_LENIENT), tshark
reports observations the sensor must not: those differences are expected.
Exit status 1 if any other comparison differs.
"""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tshark_truth import PREFS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
          '-o', 'tcp.check_checksum:TRUE']
# Captures where docs/observations.md is stricter than tshark, which still
# decodes (and so reports) what the sensor must drop: an A of 5 bytes, a
# forward compression pointer, rdata not of its type's shape, the first RR
# of a message whose later RRs run past its end, an IPv4 total length or a
# UDP length beyond the bytes present. Their differences are expected.
TSHARK_LENIENT = ('dns_a_bad_rdlength', 'dns_pointer_forward', 'dns_rdata_shape_errors',
                  'dns_rr_past_message_end', 'ipv4_total_length_exceeds_frame',
                  'udp_length_exceeds_packet')
# Expert items that describe the traffic, not a decoding problem.
BENIGN = re.compile(r'out-of-order segment|Previous segment\(s\) not captured|'
                    r'retransmission|Connection|traceroute|ACK flag is not set|'
                    r'not implemented')


def expert(path):
    out = subprocess.run(['tshark', '-2', '-n', '-r', path] + PREFS + CHECKS +
                         ['-q', '-z', 'expert,warn'], capture_output=True, text=True).stdout
    items = []
    for line in out.splitlines():
        m = re.match(r'\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$', line)
        if m and not BENIGN.search(m.group(4)) and m.group(2) != 'Group':
            items.append('%s x%s %s/%s: %s' % (m.group(3), m.group(1), m.group(2),
                                               m.group(3), m.group(4).strip()))
    return items


def reference(path):
    base = os.path.splitext(path)[0]
    for cand in (base + '.expected', base + '.truth.jsonl'):
        if os.path.exists(cand):
            return cand
    return None


def tshark_counters(path):
    """The counters tshark can count too: messages by kind, TCP messages,
    reassembled datagrams, frames."""
    cmd = ['tshark', '-2', '-n', '-r', path] + PREFS + ['-T', 'fields', '-E', 'occurrence=a',
                                                       '-e', 'dns.flags', '-e', 'tcp.srcport',
                                                       '-e', 'ip.fragment.count',
                                                       '-e', 'ipv6.fragment.count']
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    c = dict.fromkeys(COUNTABLE, 0)
    for line in out.split('\n')[:-1]:
        flags, tcp, frag4, frag6 = line.split('\t')
        c['packets_seen'] += 1
        c['frag_reassembled'] += bool(frag4) + bool(frag6)
        for word in filter(None, flags.split(',')):
            f = int(word, 16)
            c['tcp_messages'] += bool(tcp)
            if not f & 0x8000:
                c['dns_queries'] += 1
                continue
            c['dns_responses'] += 1
            kind = ('responses_not_query_opcode' if f >> 11 & 15 else
                    'responses_truncated' if f & 0x0200 else
                    {0: 'responses_noerror', 3: 'responses_nxdomain'}.get(f & 15,
                                                                         'responses_error'))
            c[kind] += 1
    return c


COUNTABLE = ('packets_seen', 'dns_queries', 'dns_responses', 'responses_noerror',
             'responses_nxdomain', 'responses_truncated', 'responses_error',
             'responses_not_query_opcode', 'tcp_messages', 'frag_reassembled')


def counters_diff(path):
    """'name: listed X, tshark Y' for listed counters tshark counts otherwise."""
    listed = os.path.splitext(path)[0] + '.counters'
    if not os.path.exists(listed):
        return []
    mine = dict((k, int(v)) for k, v in (line.split() for line in open(listed)))
    theirs = tshark_counters(path)
    return ['%s: listed %d, tshark %d' % (k, v, theirs[k]) for k, v in sorted(mine.items())
            if k in theirs and theirs[k] != v]


def compare(path, ref, *extra):
    return subprocess.run([sys.executable, os.path.join(HERE, 'tshark_truth.py'), path,
                           '--compare', ref] + list(extra), capture_output=True, text=True)


def main():
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(HERE, '..', 'data', '*.pcap*')))
    bad = 0
    for path in paths:
        items = expert(path)
        ref = reference(path)
        res = compare(path, ref) if ref else None
        all_ref = os.path.splitext(path)[0] + '.sections_all.expected'
        if res is not None and res.returncode == 0 and os.path.exists(all_ref):
            res = compare(path, all_ref, '--sections', 'answer,authority,additional')
        same = res is not None and res.returncode == 0
        counts = counters_diff(path)
        lenient = os.path.basename(path).split('.')[0] in TSHARK_LENIENT
        status = 'ok' if same else 'DIFF' if ref else 'no reference'
        status += ', counters ' + ('DIFF' if counts else 'ok')
        print('%-45s tshark %s%s' % (os.path.basename(path), status,
                                     ' (expected: tshark is lenient here)' if lenient else ''))
        for i in items:
            print('    expert: ' + i)
        for line in counts:
            print('    counter ' + line)
        bad += bool(counts)
        if res is not None and not same:
            for line in (res.stdout or res.stderr).splitlines():
                print('    ' + line)
            bad += not lenient
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
