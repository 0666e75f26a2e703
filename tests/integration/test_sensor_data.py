"""Every crafted capture in tests/data: exact observations and counters.

Each capture has NAME.expected (merged observations) and NAME.counters (the
counters whose value is certain); some also have NAME.sections_all.expected
for --sections answer,authority,additional.
"""
import glob
import json
import os

import pytest

from conftest import DATA, diff_observations, load_jsonl, run_sensor

CAPTURES = sorted(glob.glob(os.path.join(DATA, '*.pcap')) +
                  glob.glob(os.path.join(DATA, '*.pcapng')))


def base_of(path):
    return path.rsplit('.', 1)[0]


def read_counters(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                name, value = line.split()
                out[name] = int(value)
    return out


def test_there_are_crafted_captures():
    assert len(CAPTURES) >= 60


@pytest.mark.parametrize('capture', CAPTURES, ids=os.path.basename)
def test_crafted_capture(capture):
    base = base_of(capture)
    run = run_sensor(['-r', capture, '-o', '-', '--sensor-id', 'crafted'])
    for line in run.stdout.splitlines():
        assert json.loads(line)['sensor_id'] == 'crafted'
    want = load_jsonl(base + '.expected')
    diff = diff_observations(run.observations, want)
    assert not diff, 'observations differ from %s.expected:\n%s' % (base, diff)
    want_counters = read_counters(base + '.counters')
    got = {k: run.counters.get(k) for k in want_counters}
    assert got == want_counters


ALL_SECTIONS = sorted(glob.glob(os.path.join(DATA, '*.sections_all.expected')))


@pytest.mark.parametrize('expected', ALL_SECTIONS, ids=os.path.basename)
def test_crafted_capture_all_sections(expected):
    base = expected[:-len('.sections_all.expected')]
    capture = base + '.pcap' if os.path.exists(base + '.pcap') else base + '.pcapng'
    run = run_sensor(['-r', capture, '-o', '-', '--sections', 'answer,authority,additional'])
    diff = diff_observations(run.observations, load_jsonl(expected))
    assert not diff, diff
