"""Ground truth: which RRs of a message become observations, and the merge.

The rules are docs/observations.md's, applied to the generator's own message
objects (never to parsed bytes), so the truth does not depend on any decoder:

- responses (QR=1) with OPCODE 0 and TC=0 only;
- NOERROR: answer-section RRs of class IN, except pseudo types; authority
  and additional only when asked, and then only at or below the bailiwick;
- NXDOMAIN: one negative observation of (qname, qtype), nothing positive;
- a tuple counts once per response however often the response repeats it;
- time = capture timestamp of the response, truncated to seconds.
"""
import json

from .dnsmsg import TC, CLASS_IN, NOERROR, NXDOMAIN, lower
from .present import name_text, rdata_text, type_name

PSEUDO_TYPES = (41, 249, 250)
SECTIONS = ('answer', 'authority', 'additional')


def bailiwick(msg):
    """Deepest NS/SOA owner in authority that is the qname or an ancestor."""
    if not msg.question:
        return None
    qname = lower(msg.question[0])
    best = None
    for rr in msg.authority:
        if rr.rtype not in (2, 6):
            continue
        owner = lower(rr.owner)
        if qname[len(qname) - len(owner):] == owner or not owner:
            if best is None or len(owner) > len(best):
                best = owner
    return best


def _below(owner, zone):
    owner = lower(owner)
    return not zone or owner[len(owner) - len(zone):] == zone


def response_tuples(msg, sections=('answer',)):
    """Set of observation keys one response yields (see module comment).

    Positive keys are (rrname, rrtype, rdata, None); negative keys are
    (qname, qtype, None, 'NXDOMAIN'), all in presentation form.
    """
    if not msg.is_response or msg.opcode != 0 or msg.flags & TC:
        return set()
    if msg.rcode == NXDOMAIN:
        if not msg.question:
            return set()
        qname, qtype, _ = msg.question
        return {(name_text(lower(qname)), type_name(qtype), None, 'NXDOMAIN')}
    if msg.rcode != NOERROR:
        return set()
    chosen = []
    if 'answer' in sections:
        chosen += msg.answer
    zone = bailiwick(msg)
    for sec in ('authority', 'additional'):
        if sec in sections and zone is not None:
            chosen += [rr for rr in getattr(msg, sec) if _below(rr.owner, zone)]
    out = set()
    for rr in chosen:
        if rr.rtype in PSEUDO_TYPES or rr.rclass != CLASS_IN:
            continue
        out.add((name_text(lower(rr.owner)), type_name(rr.rtype),
                 rdata_text(rr.rtype, rr.canonical_rdata()), None))
    return out


class Truth:
    """Merged observations: key -> [count, time_first, time_last]."""

    def __init__(self):
        self.obs = {}

    def add(self, key, ts_sec, count=1):
        cur = self.obs.get(key)
        if cur is None:
            self.obs[key] = [count, ts_sec, ts_sec]
        else:
            cur[0] += count
            if ts_sec < cur[1]:
                cur[1] = ts_sec
            if ts_sec > cur[2]:
                cur[2] = ts_sec

    def add_response(self, msg, ts_sec, sections=('answer',)):
        for key in response_tuples(msg, sections):
            self.add(key, ts_sec)

    def lines(self):
        return sorted(obs_line(k, v) for k, v in self.obs.items())

    def write(self, path):
        with open(path, 'w') as f:
            for line in self.lines():
                f.write(line + '\n')


def obs_line(key, value):
    rrname, rrtype, rdata, rcode = key
    d = {'rrname': rrname, 'rrtype': rrtype}
    if rcode is None:
        d['rdata'] = rdata
    else:
        d['rcode'] = rcode
    d['count'], d['time_first'], d['time_last'] = value
    return json.dumps(d, separators=(',', ':'))


def merge_json_lines(lines, keep=None):
    """Merge COF lines by tuple (sensor_id dropped); keep(obj) filters."""
    t = Truth()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        d = json.loads(line)
        if keep is not None and not keep(d):
            continue
        key = (d['rrname'], d['rrtype'], d.get('rdata'), d.get('rcode'))
        t.add(key, d['time_first'], d['count'])
        t.add(key, d['time_last'], 0)
    return t


class Counters:
    """The sensor counters whose values a generator knows exactly."""

    def __init__(self):
        self.v = {}

    def inc(self, name, n=1):
        self.v[name] = self.v.get(name, 0) + n

    def message(self, msg):
        """Counts one DNS message decoded from the capture."""
        if not msg.is_response:
            self.inc('dns_queries')
            return
        self.inc('dns_responses')
        if msg.opcode != 0:
            self.inc('responses_not_query_opcode')
        elif msg.flags & TC:
            self.inc('responses_truncated')
        elif msg.rcode == NXDOMAIN:
            self.inc('responses_nxdomain')
        elif msg.rcode != NOERROR:
            self.inc('responses_error')
        else:
            self.inc('responses_noerror')
            self.inc('rrs_skipped_class', sum(
                1 for rr in msg.answer
                if rr.rclass != CLASS_IN and rr.rtype not in PSEUDO_TYPES))

    def write(self, path, omit=()):
        with open(path, 'w') as f:
            for k in sorted(self.v):
                if k not in omit and (self.v[k] or k in ZERO_IS_NEWS):
                    f.write('%s %d\n' % (k, self.v[k]))


# Counters worth asserting even at zero: the capture exercises them.
ZERO_IS_NEWS = ('frag_reassembled', 'tcp_messages')
