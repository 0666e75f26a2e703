#!/usr/bin/python3
"""Observations according to tshark, for cross-checking the sensor.

  tshark_truth.py CAPTURE                  merged COF lines on stdout
  tshark_truth.py CAPTURE --compare FILE   compare with FILE (sensor output or
                                           generator truth); exit 1 on difference

tshark (Wireshark's decoder: IP defragmentation, TCP reassembly including
out-of-order segments, two passes) decodes the capture; this script applies
docs/observations.md's rules (QR=1, OPCODE 0, TC=0; NOERROR answers of class
IN, authority/additional in bailiwick with --sections; NXDOMAIN gives (qname,
qtype)) to what tshark prints, for the types it prints reliably: A, AAAA,
CNAME, NS, PTR, MX, TXT, and NXDOMAIN negatives.

Why PDML and not `-T fields`: the flat field lists cannot be matched up with
records. NSEC/NSEC3 type bitmaps add values to dns.resp.type, SRV records
have no dns.resp.name (tshark splits the owner into service/proto/name), OPT
has no dns.resp.class, and dns.flags.rcode is missing for queries. PDML keeps
the tree: message, section, record, fields.

What tshark's text cannot say exactly is left out of the comparison, on both
sides alike (comparable()):
- names: tshark prints label bytes raw (a '.' inside a label looks like a
  label separator, '\\' and '"' are not escaped), control bytes C-style, and
  bytes >= 0x80 as UTF-8 (U+FFFD when invalid). So a tuple is compared only
  if its names are plain: no backslash escape in our presentation, nothing
  but printable ASCII other than space and \\"();@$ in tshark's. A label
  holding a '.' among otherwise plain bytes would still slip through on
  tshark's side; the generators' dotted labels also hold a space.
- TXT strings are taken from the raw bytes tshark reports (PDML value), not
  its text, which stops at a NUL and replaces bytes >= 0x80.
"""
import argparse
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pcapgen.present import TYPE_NAMES  # noqa: E402  (a table, not decoding logic)
from pcapgen.truth import Truth, merge_json_lines  # noqa: E402

TYPES = ('A', 'AAAA', 'CNAME', 'NS', 'PTR', 'MX', 'TXT')
PREFS = ['-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'tcp.reassemble_out_of_order:TRUE',
         '-o', 'ip.defragment:TRUE', '-o', 'ipv6.defragment:TRUE',
         '-o', 'dns.desegment_dns_messages:TRUE']
PLAIN_TSHARK = re.compile(r'^[!#%&\'*+,\-./0-9:<=>?A-Z\[\]^_`a-z{|}~]+$')
SECTIONS = {'Queries': 'qd', 'Answers': 'an', 'Authoritative nameservers': 'ns',
            'Additional records': 'ar'}


def plain_name(text):
    """tshark's name text -> our presentation, or None if not exact."""
    if text == '<Root>':
        return '.'
    if not PLAIN_TSHARK.match(text):
        return None
    return text.lower()


def comparable(d):
    """Whether tshark's text for this tuple can be exact (module comment)."""
    if '\\' in d['rrname']:
        return False
    if 'rcode' in d:
        return d['rcode'] == 'NXDOMAIN'
    if d['rrtype'] not in TYPES:
        return False
    return d['rrtype'] in ('A', 'AAAA', 'TXT') or '\\' not in d['rdata']


def txt_text(raw_strings):
    out = []
    for s in raw_strings:
        esc = ''.join('\\' + chr(b) if b in (0x22, 0x5c) else chr(b)
                      if 0x20 <= b <= 0x7e else '\\%03d' % b for b in s)
        out.append('"%s"' % esc)
    return ' '.join(out)


def fields(elem):
    """name -> [field elements] for the direct children of elem."""
    out = {}
    for f in elem.findall('field'):
        out.setdefault(f.get('name'), []).append(f)
    return out


def record(rr):
    """(owner, rtype, rclass, rdata or None) of one record element."""
    f = fields(rr)
    rtype = int(f['dns.resp.type'][0].get('show'))
    if rtype == 41 or 'dns.resp.name' not in f:
        return None, rtype, 0, None
    owner = plain_name(f['dns.resp.name'][0].get('show'))
    rclass = int(f['dns.resp.class'][0].get('show'), 16)
    show = lambda name: f[name][0].get('show')
    try:
        return owner, rtype, rclass, rdata_of(f, rtype, show)
    except KeyError:                    # tshark stopped inside a malformed record
        return owner, rtype, rclass, None


def rdata_of(f, rtype, show):
    rdata = None
    if rtype == 1:
        rdata = show('dns.a')
    elif rtype == 28:
        rdata = show('dns.aaaa')
    elif rtype in (2, 5, 12):
        rdata = plain_name(show({2: 'dns.ns', 5: 'dns.cname', 12: 'dns.ptr.domain_name'}[rtype]))
    elif rtype == 15:
        target = plain_name(show('dns.mx.mail_exchange'))
        rdata = target and '%s %s' % (show('dns.mx.preference'), target)
    elif rtype == 16:
        rdata = txt_text(bytes.fromhex(t.get('value') or '') for t in f.get('dns.txt', []))
    return rdata


def labels_of(text):
    """A plain name's labels, most significant last; the root is ()."""
    return () if text == '.' else tuple(text.split('.'))


def below(name, zone):
    n, z = labels_of(name), labels_of(zone)
    return not z or n[len(n) - len(z):] == z


def raw_qname(field):
    """The question name's exact labels, lower-cased, from the raw bytes
    tshark reports (a question name is never compressed): tshark's text of
    an odd name is ambiguous, yet the bailiwick depends on its labels."""
    raw, pos, out = bytes.fromhex(field.get('value') or ''), 0, []
    while pos < len(raw) and raw[pos]:
        n = raw[pos]
        if n > 63:
            return None
        out.append(raw[pos + 1:pos + 1 + n].lower().decode('latin-1'))
        pos += 1 + n
    return tuple(out)


def bailiwick(qlabels, authority):
    """Deepest NS/SOA owner in authority that is the qname or an ancestor."""
    best = None
    for owner, rtype, _, _ in authority:
        if rtype not in (2, 6) or owner is None or qlabels is None:
            continue
        z = labels_of(owner)
        if qlabels[len(qlabels) - len(z):] == z and (best is None or len(z) > len(best)):
            best = z
    return None if best is None else '.'.join(best) or '.'


def message_tuples(dns, sections=('answer',)):
    """The set of observation keys one DNS message element yields."""
    top = fields(dns)
    flags = int(top['dns.flags'][0].get('value'), 16)
    if not flags & 0x8000 or flags >> 11 & 15 or flags & 0x0200:
        return set()
    rcode = flags & 15
    secs = {}
    for sec in top.get('', []):
        kind = SECTIONS.get(sec.get('show'))
        if kind:
            secs[kind] = sec.findall('field')
    keys = set()
    qname = qtype = qlabels = None
    if secs.get('qd'):
        q = fields(secs['qd'][0])
        qname = plain_name(q['dns.qry.name'][0].get('show'))
        qlabels = raw_qname(q['dns.qry.name'][0])
        qtype = int(q['dns.qry.type'][0].get('show'))
    if rcode == 3 and qname is not None:
        keys.add((qname, TYPE_NAMES.get(qtype, 'TYPE%d' % qtype), None, 'NXDOMAIN'))
    if rcode != 0:
        return keys
    chosen = [record(rr) for rr in secs.get('an', [])] if 'answer' in sections else []
    authority = [record(rr) for rr in secs.get('ns', [])]
    zone = bailiwick(qlabels, authority)
    for sec, rrs in (('authority', authority),
                     ('additional', [record(rr) for rr in secs.get('ar', [])])):
        if sec in sections and zone is not None:
            chosen += [r for r in rrs if r[0] is not None and below(r[0], zone)]
    for owner, rtype, rclass, rdata in chosen:
        if owner is not None and rdata is not None and rclass == 1:
            keys.add((owner, TYPE_NAMES[rtype], rdata, None))
    return keys


def tshark_truth(path, sections=('answer',)):
    cmd = ['tshark', '-2', '-n', '-r', path] + PREFS + ['-Y', 'dns', '-T', 'pdml',
                                                       '-J', 'frame dns']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    truth = Truth()
    for _, elem in ET.iterparse(proc.stdout):
        if elem.tag != 'packet':
            continue
        sec = None
        for proto in elem.findall('proto'):
            if proto.get('name') == 'frame':
                epoch = fields(proto)['frame.time_epoch'][0].get('show')
                sec = int(epoch.split('.')[0])
            elif proto.get('name') == 'dns':
                for key in message_tuples(proto, sections):
                    truth.add(key, sec)
        elem.clear()
    if proc.wait() != 0:
        sys.exit('tshark_truth: tshark failed on %s' % path)
    keep = Truth()
    for key, value in truth.obs.items():
        d = {'rrname': key[0], 'rrtype': key[1]}
        d.update({'rcode': key[3]} if key[3] else {'rdata': key[2]})
        if comparable(d):
            keep.obs[key] = value
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('capture')
    ap.add_argument('--compare', metavar='FILE',
                    help='COF JSON lines to compare with (merged, filtered alike)')
    ap.add_argument('--max-diff', type=int, default=20, help='differences shown')
    ap.add_argument('--sections', default='answer',
                    help='as the sensor option: answer,authority,additional')
    args = ap.parse_args()
    mine = tshark_truth(args.capture, tuple(args.sections.split(',')))
    if not args.compare:
        for line in mine.lines():
            print(line)
        return 0
    with open(args.compare) as f:
        other = merge_json_lines(f, keep=comparable)
    a, b = set(mine.lines()), set(other.lines())
    diff = [('tshark only: ', x) for x in sorted(a - b)] + \
           [(args.compare + ' only: ', x) for x in sorted(b - a)]
    for prefix, line in diff[:args.max_diff]:
        print(prefix + line)
    print('tshark_truth: %s: %d tuples compared, %d differ' % (
        args.capture, len(a | b), len(diff)), file=sys.stderr)
    return 1 if diff else 0


if __name__ == '__main__':
    sys.exit(main())
