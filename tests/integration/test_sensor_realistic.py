"""Realistic generated captures: the sensor's output equals the generator's
ground truth exactly, whatever the link type, file format or fold window,
and equals tshark's independent decoding on the types tshark prints.
"""
import json
import os
import subprocess

import pytest

from conftest import PYTHON, TOOLS, diff_observations, gencap, load_jsonl, run_sensor


def read_counters(path):
    with open(path) as f:
        return {k: int(v) for k, v in (line.split() for line in f if line.strip())}


@pytest.fixture(scope='module')
def captures(tmp_path_factory):
    """Generated once per module: name -> (capture, truth, counters)."""
    d = tmp_path_factory.mktemp('realistic')
    out = {}
    for name, fmt, link, seed in [('ethernet', 'pcap', 'ethernet', 11),
                                  ('mixed-pcapng', 'pcapng', 'mixed', 12),
                                  ('sll2-nsec', 'pcap-nsec', 'sll2', 13),
                                  ('qinq', 'pcap', 'qinq', 14),
                                  ('null', 'pcap', 'null', 15)]:
        ext = 'pcapng' if fmt == 'pcapng' else 'pcap'
        cap = str(d / ('%s.%s' % (name, ext)))
        truth = str(d / ('%s.truth.jsonl' % name))
        gencap('realistic', '--out', cap, '--truth', truth, '--format', fmt, '--link', link,
               '--seed', str(seed), '--packets', '12000')
        out[name] = (cap, truth, str(d / ('%s.counters' % name)))
    return out


def check_against_truth(run, truth, counters):
    diff = diff_observations(run.observations, load_jsonl(truth))
    assert not diff, 'sensor output differs from the ground truth:\n' + diff
    want = read_counters(counters)
    assert {k: run.counters.get(k) for k in want} == want
    for k, v in run.counters.items():
        if k.startswith('malformed_'):
            assert v == 0, '%s = %d on well-formed traffic' % (k, v)


@pytest.mark.parametrize('name', ['ethernet', 'mixed-pcapng', 'sll2-nsec', 'qinq', 'null'])
def test_output_equals_ground_truth(captures, name):
    cap, truth, counters = captures[name]
    run = run_sensor(['-r', cap, '-o', '-'])
    check_against_truth(run, truth, counters)
    assert run.counters['tcp_messages'] > 0
    assert run.counters['frag_reassembled'] > 0


def test_fold_window_changes_lines_not_totals(captures):
    cap, truth, counters = captures['ethernet']
    fine = run_sensor(['-r', cap, '-o', '-', '--flush-interval', '1'])
    coarse = run_sensor(['-r', cap, '-o', '-', '--flush-interval', '1d'])
    check_against_truth(fine, truth, counters)
    check_against_truth(coarse, truth, counters)
    # One window: every tuple exactly once. One-second windows: repeats.
    assert len(coarse.stdout.splitlines()) == len(coarse.observations)
    assert len(fine.stdout.splitlines()) > len(coarse.stdout.splitlines())


def test_early_flushes_lose_nothing(captures):
    cap, truth, counters = captures['mixed-pcapng']
    run = run_sensor(['-r', cap, '-o', '-', '--max-tuples', '16'])
    assert run.counters['fold_early_flushes'] > 10
    check_against_truth(run, truth, counters)


def test_every_line_is_cof(captures):
    cap, _, _ = captures['ethernet']
    run = run_sensor(['-r', cap, '-o', '-', '--sensor-id', 'lab-1'])
    keys_pos = {'rrname', 'rrtype', 'rdata', 'count', 'time_first', 'time_last', 'sensor_id'}
    keys_neg = {'rrname', 'rrtype', 'rcode', 'count', 'time_first', 'time_last', 'sensor_id'}
    for line in run.stdout.splitlines():
        o = json.loads(line)
        assert set(o) in (keys_pos, keys_neg), line
        assert o['sensor_id'] == 'lab-1'
        assert o['rrname'] == '.' or not o['rrname'].endswith('.')
        assert o['rrname'] == o['rrname'].lower()
        assert o['count'] >= 1 and o['time_first'] <= o['time_last']


def test_all_sections_with_bailiwick(tmp_path):
    cap, truth = str(tmp_path / 'all.pcap'), str(tmp_path / 'all.truth.jsonl')
    gencap('realistic', '--out', cap, '--truth', truth, '--seed', '21', '--packets', '8000',
           '--sections', 'answer,authority,additional')
    run = run_sensor(['-r', cap, '-o', '-', '--sections', 'answer,authority,additional'])
    check_against_truth(run, truth, str(tmp_path / 'all.counters'))
    assert run.counters['rrs_out_of_bailiwick'] > 0


def test_agrees_with_tshark(captures, tmp_path):
    """tshark decodes the same file on its own; on the types it prints
    reliably (A AAAA CNAME NS PTR MX TXT, NXDOMAIN) the two must agree."""
    cap, _, _ = captures['mixed-pcapng']
    out = tmp_path / 'sensor.jsonl'
    run = run_sensor(['-r', cap, '-o', str(out)])
    assert run.returncode == 0
    p = subprocess.run([PYTHON, os.path.join(TOOLS, 'tshark_truth.py'), cap, '--compare',
                        str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, 'tshark disagrees:\n' + p.stdout[-3000:] + p.stderr[-2000:]
