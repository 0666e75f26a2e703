"""deploy/almanac-pki: the deployment CA. Real openssl, a fresh directory per
test; every misuse fails with a clear message and leaves the directory as it
was."""
import os
import shutil
import signal
import stat
import subprocess
import threading
import time

import pytest

from conftest import ROOT

PKI = os.path.join(ROOT, 'deploy', 'almanac-pki')
DAY = 86400


def pki(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.pop('ALMANAC_PKI_DIR', None)
    e.update(env or {})
    return subprocess.run([PKI] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=60, env=e, cwd=cwd)


def pki_ok(*args, **kw):
    p = pki(*args, **kw)
    assert p.returncode == 0, '%s exited %d:\n%s' % (args, p.returncode, p.stderr)
    return p


def openssl(*args, check=True):
    p = subprocess.run(['openssl'] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=60)
    if check:
        assert p.returncode == 0, 'openssl %s:\n%s' % (' '.join(map(str, args)), p.stderr)
    return p


def describe(crt):
    """The subject and the extensions the roles differ in, as openssl prints them."""
    return openssl('x509', '-in', crt, '-noout', '-subject',
                   '-ext', 'extendedKeyUsage,subjectAltName').stdout


def verify(ca, crt, crl=None):
    args = ['verify', '-CAfile', os.path.join(ca, 'ca.crt')]
    if crl:
        args += ['-crl_check', '-CRLfile', os.path.join(ca, 'crl.pem')]
    return openssl(*(args + [crt]), check=False)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def expires_within(crt, days):
    return openssl('x509', '-in', crt, '-noout', '-checkend', days * DAY,
                   check=False).returncode != 0


def tree(d):
    """Every file under d with its mode and content (the lock file aside)."""
    out = {}
    for base, _, files in os.walk(d):
        for f in files:
            p = os.path.join(base, f)
            if f != '.lock':
                with open(p, 'rb') as fh:
                    out[os.path.relpath(p, d)] = (mode(p), fh.read())
    return out


def index(ca):
    with open(os.path.join(ca, 'index.txt')) as f:
        return [line.rstrip('\n').split('\t') for line in f]


@pytest.fixture(scope='session')
def template_ca(tmp_path_factory):
    d = str(tmp_path_factory.mktemp('template') / 'pki')
    pki_ok('init', d)
    return d


@pytest.fixture
def ca(tmp_path, template_ca):
    """A freshly initialised CA of this test's own (a copy: init costs ~0.1 s)."""
    d = str(tmp_path / 'pki')
    shutil.copytree(template_ca, d, symlinks=True)
    return d


def fake_openssl(tmp_path, match, action='echo "injected failure" >&2; exit 1'):
    """A PATH whose openssl runs the real one, then the shell action when its
    arguments match the case pattern (the real command's effects stay)."""
    bindir = tmp_path / 'fakebin'
    bindir.mkdir()
    script = bindir / 'openssl'
    script.write_text('#!/bin/sh\n/usr/bin/openssl "$@" || exit $?\n'
                      'case " $* " in %s) %s ;; esac\n'
                      'exit 0\n' % (match, action))
    script.chmod(0o755)
    return {'PATH': '%s:%s' % (bindir, os.environ['PATH'])}


# --- init -------------------------------------------------------------------

def test_init_creates_ca_with_private_key_and_empty_crl(tmp_path):
    d = str(tmp_path / 'pki')
    p = pki_ok('init', d)
    assert 'Almanac CA' in p.stdout
    for f in ('ca.key', 'ca.crt', 'crl.pem', 'openssl.cnf', 'index.txt', 'crlnumber'):
        assert os.path.isfile(os.path.join(d, f)), f
    assert os.path.isdir(os.path.join(d, 'newcerts'))
    assert mode(d) == 0o700
    assert mode(os.path.join(d, 'ca.key')) == 0o600
    assert mode(os.path.join(d, 'ca.crt')) == 0o644
    assert mode(os.path.join(d, 'crl.pem')) == 0o644
    assert not [f for f in os.listdir(d) if f.startswith('.tmp')]

    crt = os.path.join(d, 'ca.crt')
    text = openssl('x509', '-in', crt, '-noout', '-text').stdout
    subject = openssl('x509', '-in', crt, '-noout', '-subject').stdout
    assert subject.startswith('subject=O = almanac, CN = Almanac CA ')
    assert 'X509v3 Basic Constraints: critical\n                CA:TRUE' in text
    assert 'X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign' in text
    assert 'ASN1 OID: prime256v1' in text
    assert 'ASN1 OID: prime256v1' in openssl('pkey', '-in', os.path.join(d, 'ca.key'),
                                             '-noout', '-text').stdout
    assert not expires_within(crt, 3649) and expires_within(crt, 3651)
    assert verify(d, crt).returncode == 0

    crl = openssl('crl', '-in', os.path.join(d, 'crl.pem'), '-CAfile', crt, '-noout', '-text')
    assert 'verify OK' in crl.stderr
    assert 'No Revoked Certificates' in crl.stdout


def test_each_ca_gets_its_own_name(tmp_path):
    pki_ok('init', tmp_path / 'a')
    pki_ok('init', tmp_path / 'b')
    a = describe(tmp_path / 'a' / 'ca.crt')
    assert a != describe(tmp_path / 'b' / 'ca.crt')


def test_init_days_sets_ca_validity(tmp_path):
    pki_ok('init', tmp_path / 'pki', '--days', 400)
    crt = tmp_path / 'pki' / 'ca.crt'
    assert not expires_within(crt, 399) and expires_within(crt, 401)


def test_init_refuses_to_overwrite_a_ca(ca):
    before = tree(ca)
    p = pki('init', ca)
    assert p.returncode == 1
    assert 'already holds a CA' in p.stderr and 'refusing to overwrite' in p.stderr
    assert tree(ca) == before


def test_init_accepts_an_existing_empty_directory(tmp_path):
    d = tmp_path / 'pki'
    d.mkdir(mode=0o750)
    pki_ok('init', d)
    assert (d / 'ca.key').exists()


def test_directory_defaults_to_env_then_dot_pki(tmp_path):
    envdir = tmp_path / 'fromenv'
    pki_ok('init', env={'ALMANAC_PKI_DIR': str(envdir)}, cwd=tmp_path)
    assert (envdir / 'ca.crt').exists()
    pki_ok('analyst', 'alice', env={'ALMANAC_PKI_DIR': str(envdir)}, cwd=tmp_path)
    assert (envdir / 'alice.crt').exists()

    pki_ok('init', cwd=tmp_path)
    assert (tmp_path / 'pki' / 'ca.crt').exists()
    pki_ok('analyst', 'bob', cwd=tmp_path)
    assert (tmp_path / 'pki' / 'bob.crt').exists()


def test_init_rejects_two_different_directories(tmp_path):
    p = pki('-d', tmp_path / 'a', 'init', tmp_path / 'b')
    assert p.returncode == 2 and 'two directories' in p.stderr
    assert not os.listdir(tmp_path)


# --- issuing ----------------------------------------------------------------

def check_leaf(ca, name):
    crt, key = os.path.join(ca, name + '.crt'), os.path.join(ca, name + '.key')
    assert mode(key) == 0o600 and mode(crt) == 0o644
    assert verify(ca, crt).returncode == 0
    assert verify(ca, crt, crl=True).returncode == 0
    text = openssl('x509', '-in', crt, '-noout', '-text').stdout
    assert 'ASN1 OID: prime256v1' in text
    assert 'X509v3 Basic Constraints: critical\n                CA:FALSE' in text
    assert 'X509v3 Key Usage: critical\n                Digital Signature\n' in text
    pub_crt = openssl('x509', '-in', crt, '-noout', '-pubkey').stdout
    pub_key = openssl('pkey', '-in', key, '-pubout').stdout
    assert pub_crt == pub_key
    return text


def test_sensor_certificate(ca):
    p = pki_ok('-d', ca, 'sensor', 'fra-1', '--site', 'frankfurt')
    assert os.path.join(ca, 'fra-1.crt') in p.stdout
    assert describe(os.path.join(ca, 'fra-1.crt')) == (
        'subject=O = almanac-sensor, OU = frankfurt, CN = fra-1\n'
        'X509v3 Extended Key Usage: \n'
        '    TLS Web Client Authentication\n')
    check_leaf(ca, 'fra-1')
    assert openssl('verify', '-purpose', 'sslclient', '-CAfile', os.path.join(ca, 'ca.crt'),
                   os.path.join(ca, 'fra-1.crt'), check=False).returncode == 0
    assert openssl('verify', '-purpose', 'sslserver', '-CAfile', os.path.join(ca, 'ca.crt'),
                   os.path.join(ca, 'fra-1.crt'), check=False).returncode != 0


def test_aggregator_certificate_serves_and_dials_with_sans(ca):
    p = pki_ok('-d', ca, 'aggregator', 'localhost', '--san', 'agg.example.net',
               '--san', 'localhost', '--san', 'IP:127.0.0.1', '--san', '::1')
    assert 'mbedTLS' in p.stderr and 'IP' in p.stderr
    assert describe(os.path.join(ca, 'localhost.crt')) == (
        'subject=O = almanac-aggregator, CN = localhost\n'
        'X509v3 Extended Key Usage: \n'
        '    TLS Web Server Authentication, TLS Web Client Authentication\n'
        'X509v3 Subject Alternative Name: \n'
        '    DNS:localhost, DNS:agg.example.net, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n')
    check_leaf(ca, 'localhost')


def test_aggregator_without_san_names_its_hostname(ca):
    pki_ok('-d', ca, 'aggregator', 'agg1.example.net')
    assert describe(os.path.join(ca, 'agg1.example.net.crt')) == (
        'subject=O = almanac-aggregator, CN = agg1.example.net\n'
        'X509v3 Extended Key Usage: \n'
        '    TLS Web Server Authentication, TLS Web Client Authentication\n'
        'X509v3 Subject Alternative Name: \n'
        '    DNS:agg1.example.net\n')


def test_analyst_certificate(ca):
    pki_ok('-d', ca, 'analyst', 'alice')
    assert describe(os.path.join(ca, 'alice.crt')) == (
        'subject=O = almanac-analyst, CN = alice\n'
        'X509v3 Extended Key Usage: \n'
        '    TLS Web Client Authentication\n')
    check_leaf(ca, 'alice')


def test_leaf_validity_defaults_to_825_days_and_days_overrides(ca):
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'x')
    crt = os.path.join(ca, 's1.crt')
    assert not expires_within(crt, 824) and expires_within(crt, 826)
    pki_ok('-d', ca, 'analyst', 'a', '--days', '010')    # decimal, not octal
    crt = os.path.join(ca, 'a.crt')
    assert not expires_within(crt, 9) and expires_within(crt, 11)


def test_certificate_outliving_the_ca_is_issued_with_a_warning(tmp_path):
    d = tmp_path / 'pki'
    pki_ok('init', d, '--days', 100)
    p = pki_ok('-d', d, 'analyst', 'a', '--days', 200)
    assert 'outlives the CA' in p.stderr


def test_expired_sensor_certificate_is_seen_as_expired(ca):
    pki_ok('-d', ca, 'sensor', 'old', '--site', 'x', '--not-after', '20200101000000Z')
    crt = os.path.join(ca, 'old.crt')
    dates = openssl('x509', '-in', crt, '-noout', '-dates').stdout
    assert dates == 'notBefore=Dec 31 00:00:00 2019 GMT\nnotAfter=Jan  1 00:00:00 2020 GMT\n'
    p = verify(ca, crt)
    assert p.returncode != 0 and 'certificate has expired' in p.stdout + p.stderr
    assert openssl('verify', '-no_check_time', '-CAfile', os.path.join(ca, 'ca.crt'), crt,
                   check=False).returncode == 0


def test_explicit_validity_window(ca):
    pki_ok('-d', ca, 'sensor', 'win', '--site', 'x',
           '--not-before', '20200101000000Z', '--not-after', '20210630120000Z')
    dates = openssl('x509', '-in', os.path.join(ca, 'win.crt'), '-noout', '-dates').stdout
    assert dates == 'notBefore=Jan  1 00:00:00 2020 GMT\nnotAfter=Jun 30 12:00:00 2021 GMT\n'


def test_reissuing_a_name_is_refused_until_revoked(ca):
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'x')
    before = tree(ca)
    for cmd in (['sensor', 's1', '--site', 'y'], ['analyst', 's1'], ['aggregator', 's1']):
        p = pki('-d', ca, *cmd)
        assert p.returncode == 1
        assert 's1 already has a certificate' in p.stderr and 'revoke' in p.stderr
    assert tree(ca) == before


def test_valid_certificate_in_index_blocks_reissue_even_without_files(ca):
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'x')
    os.unlink(os.path.join(ca, 's1.crt'))
    os.unlink(os.path.join(ca, 's1.key'))
    p = pki('-d', ca, 'sensor', 's1', '--site', 'x')
    assert p.returncode == 1 and 'index.txt lists a valid certificate' in p.stderr
    # revoke finds it through the index and clears the way
    pki_ok('-d', ca, 'revoke', 's1')
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'x')


def test_leftover_key_blocks_issue(ca):
    with open(os.path.join(ca, 'k.key'), 'w') as f:
        f.write('old')
    p = pki('-d', ca, 'analyst', 'k')
    assert p.returncode == 1 and 'k.key exists' in p.stderr


def test_parallel_issues_are_serialised(ca):
    results = {}

    def issue(n):
        results[n] = pki('-d', ca, 'sensor', 's%d' % n, '--site', 'x')

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, p in results.items():
        assert p.returncode == 0, p.stderr
        assert verify(ca, os.path.join(ca, 's%d.crt' % n)).returncode == 0
    assert len(index(ca)) == 6
    assert len(os.listdir(os.path.join(ca, 'newcerts'))) == 6


# --- revocation ---------------------------------------------------------------

def test_revoke_fails_that_certificate_only(ca, tmp_path):
    pki_ok('-d', ca, 'sensor', 'bad', '--site', 'x')
    pki_ok('-d', ca, 'sensor', 'good', '--site', 'x')
    pki_ok('-d', ca, 'aggregator', 'agg')
    kept = str(tmp_path / 'bad.crt')
    shutil.copy(os.path.join(ca, 'bad.crt'), kept)
    serial = openssl('x509', '-in', kept, '-noout', '-serial').stdout.strip().split('=')[1]

    p = pki_ok('-d', ca, 'revoke', 'bad')
    assert 'revoked bad' in p.stdout and 'crl.pem' in p.stdout

    p = verify(ca, kept, crl=True)
    assert p.returncode != 0 and 'certificate revoked' in p.stdout + p.stderr
    assert verify(ca, kept).returncode == 0           # without the CRL it still chains
    for other in ('good', 'agg'):
        assert verify(ca, os.path.join(ca, other + '.crt'), crl=True).returncode == 0

    crl = openssl('crl', '-in', os.path.join(ca, 'crl.pem'), '-noout', '-text').stdout
    assert 'Serial Number: %s' % serial in crl
    assert mode(os.path.join(ca, 'crl.pem')) == 0o644
    # next update 30 days out
    nxt = openssl('crl', '-in', os.path.join(ca, 'crl.pem'), '-noout', '-nextupdate').stdout
    assert nxt.startswith('nextUpdate=')

    # the files move to revoked/, the key keeps its mode
    assert not os.path.exists(os.path.join(ca, 'bad.crt'))
    assert not os.path.exists(os.path.join(ca, 'bad.key'))
    archived = os.path.join(ca, 'revoked', 'bad.%s' % serial)
    assert open(archived + '.crt').read() == open(kept).read()
    assert mode(archived + '.key') == 0o600
    assert [r[0] for r in index(ca) if r[5].endswith('/CN=bad')] == ['R']


def test_revoked_name_can_be_issued_again(ca):
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'old-site')
    pki_ok('-d', ca, 'revoke', 's1')
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'new-site')
    assert 'OU = new-site' in describe(os.path.join(ca, 's1.crt'))
    assert verify(ca, os.path.join(ca, 's1.crt'), crl=True).returncode == 0


def test_revoke_reason_reaches_the_crl(ca):
    pki_ok('-d', ca, 'analyst', 'mallory')
    pki_ok('-d', ca, 'revoke', 'mallory', '--reason', 'keyCompromise')
    crl = openssl('crl', '-in', os.path.join(ca, 'crl.pem'), '-noout', '-text').stdout
    assert 'Key Compromise' in crl


def test_revoke_expired_certificate(ca):
    pki_ok('-d', ca, 'sensor', 'old', '--site', 'x', '--not-after', '20200101000000Z')
    pki_ok('-d', ca, 'revoke', 'old')
    assert [r[0] for r in index(ca)] == ['R']
    # marked expired in the index by hand (openssl ca -updatedb)
    pki_ok('-d', ca, 'sensor', 'old2', '--site', 'x', '--not-after', '20200101000000Z')
    subprocess.run(['openssl', 'ca', '-config', 'openssl.cnf', '-updatedb'], cwd=ca,
                   check=True, capture_output=True)
    assert [r[0] for r in index(ca)] == ['R', 'E']
    p = pki_ok('-d', ca, 'revoke', 'old2')
    assert 'revoked old2' in p.stdout
    assert [r[0] for r in index(ca)] == ['R', 'R']


def test_revoke_unknown_or_revoked_name_fails(ca):
    before = tree(ca)
    p = pki('-d', ca, 'revoke', 'nobody')
    assert p.returncode == 1 and 'no certificate issued to nobody' in p.stderr
    assert tree(ca) == before

    pki_ok('-d', ca, 'analyst', 'alice')
    pki_ok('-d', ca, 'revoke', 'alice')
    before = tree(ca)
    p = pki('-d', ca, 'revoke', 'alice')
    assert p.returncode == 1 and 'alice is already revoked' in p.stderr
    assert tree(ca) == before


def test_crl_command_resigns_without_revoking(ca):
    pki_ok('-d', ca, 'analyst', 'alice')
    crl = os.path.join(ca, 'crl.pem')
    first = openssl('crl', '-in', crl, '-noout', '-crlnumber').stdout
    p = pki_ok('-d', ca, 'crl', '--crl-days', '7')
    assert '0 revoked' in p.stdout
    second = openssl('crl', '-in', crl, '-noout', '-crlnumber').stdout
    assert (first, second) == ('crlNumber=0x01\n', 'crlNumber=0x02\n')
    text = openssl('crl', '-in', crl, '-CAfile', os.path.join(ca, 'ca.crt'), '-noout', '-text')
    assert 'verify OK' in text.stderr and 'No Revoked Certificates' in text.stdout
    assert verify(ca, os.path.join(ca, 'alice.crt'), crl=True).returncode == 0
    assert [r[0] for r in index(ca)] == ['V']


# --- failures leave nothing half-written ----------------------------------------

def test_failed_signing_leaves_directory_unchanged(ca, tmp_path):
    before = tree(ca)
    env = fake_openssl(tmp_path, '" ca "*" -in "*')
    p = pki('-d', ca, 'sensor', 's1', '--site', 'x', env=env)
    assert p.returncode == 1 and 'injected failure' in p.stderr
    assert tree(ca) == before
    assert not [f for f in os.listdir(ca) if f.startswith('.tmp')]


def test_failed_revoke_leaves_directory_unchanged(ca, tmp_path):
    pki_ok('-d', ca, 'sensor', 's1', '--site', 'x')
    before = tree(ca)
    env = fake_openssl(tmp_path, '*" -gencrl "*')
    p = pki('-d', ca, 'revoke', 's1', env=env)
    assert p.returncode == 1 and 'injected failure' in p.stderr
    assert tree(ca) == before


def default_signals():
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_interrupted_issue_leaves_directory_unchanged(ca, tmp_path, sig):
    mark = tmp_path / 'signed'
    # The process that leaves the mark must be the one that sleeps. With
    # 'touch; sleep' in sh, a signal landing between the two is caught by sh
    # (a script's sh catches SIGINT), which then waits for a sleep that never
    # saw it: 8 hangs in 40 tries on a loaded machine.
    env = fake_openssl(tmp_path, '" ca "*" -in "*',
                       "exec perl -e 'open(my $f, \">\", $ARGV[0]) or die; close $f; "
                       "sleep 30' '%s'" % mark)
    before = tree(ca)
    # A shell cannot trap a signal ignored when it started, and a runner
    # launched with '&' from a script hands pytest SIGINT ignored: start the
    # command with the dispositions a terminal would give it.
    p = subprocess.Popen([PKI, '-d', ca, 'analyst', 'a'], env=dict(os.environ, **env),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         preexec_fn=default_signals)
    try:
        deadline = time.monotonic() + 30
        while not mark.exists():
            assert p.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(p.pid, sig)          # as Ctrl-C or a service stop would
        p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 128 + sig
    assert tree(ca) == before
    assert not [f for f in os.listdir(ca) if f.startswith('.tmp')]


def test_failed_init_leaves_no_directory(tmp_path):
    env = fake_openssl(tmp_path, '*" -x509 "*')
    d = tmp_path / 'new' / 'pki'
    p = pki('init', d, env=env)
    assert p.returncode == 1 and 'cannot create the CA certificate' in p.stderr
    assert not d.exists()

    existing = tmp_path / 'existing'
    existing.mkdir()
    p = pki('init', existing, env=env)
    assert p.returncode == 1
    assert [f for f in os.listdir(existing) if f != '.lock'] == []


def test_openssl_error_is_shown(ca):
    before = tree(ca)
    # looks like an address, openssl refuses it
    p = pki('-d', ca, 'aggregator', 'agg', '--san', '999.1.1.1')
    assert p.returncode == 1
    assert 'openssl req failed' in p.stderr and 'bad ip address' in p.stderr
    assert tree(ca) == before


# --- misuse ---------------------------------------------------------------------

def test_help_and_version():
    for flag in ('-h', '--help'):
        p = pki_ok(flag)
        assert p.stdout.startswith('usage: almanac-pki')
        for word in ('init', 'sensor', 'aggregator', 'analyst', 'revoke', 'crl', '--site',
                     '--san', '--days', '--not-after', '--not-before', '--crl-days'):
            assert word in p.stdout
    p = pki_ok('--version')
    assert p.stdout.startswith('almanac-pki ')


@pytest.mark.parametrize('args,message', [
    ([], 'no command given'),
    (['frobnicate'], "unknown command 'frobnicate'"),
    (['sensor'], 'sensor needs a NAME'),
    (['sensor', 's1'], 'sensor needs --site SITE'),
    (['sensor', 's1', 's2', '--site', 'x'], 'sensor takes one NAME'),
    (['aggregator'], 'aggregator needs a HOSTNAME'),
    (['analyst'], 'analyst needs a NAME'),
    (['revoke'], 'revoke needs a NAME'),
    (['crl', 'extra'], 'crl takes no arguments'),
    (['analyst', 'a', '--bogus'], "unknown option '--bogus'"),
    (['analyst', 'a', '-x'], "unknown option '-x'"),
    (['analyst', 'a', '--days'], 'option --days needs a value'),
    (['analyst', 'a', '--site', 'x'], "option --site does not apply to 'analyst'"),
    (['sensor', 's', '--site', 'x', '--san', 'y'], "option --san does not apply to 'sensor'"),
    (['revoke', 'a', '--days', '3'], "option --days does not apply to 'revoke'"),
    (['crl', '--reason', 'superseded'], "option --reason does not apply to 'crl'"),
    (['analyst', 'a', '--days', '5', '--days', '6'], 'option --days given twice'),
    (['analyst', 'a', '--days', '0'], '--days needs a number of days'),
    (['analyst', 'a', '--days', 'ten'], '--days needs a number of days'),
    (['analyst', 'a', '--days=-3'], '--days needs a number of days'),
    (['crl', '--crl-days', '0'], '--crl-days needs a number of days'),
    (['analyst', 'a', '--days', '5', '--not-after', '20300101000000Z'],
     'give --days or --not-after, not both'),
    (['analyst', 'a', '--not-before', '20300101000000Z'], '--not-before needs --not-after'),
    (['analyst', 'a', '--not-after', '2030-01-01'], '--not-after needs a UTC time'),
    (['analyst', 'a', '--not-after', '300101000000Z'], '--not-after needs a UTC time'),
    (['analyst', 'a', '--not-after', '20301399000000Z'], '--not-after needs a UTC time'),
    (['analyst', 'a', '--not-after', '20230229000000Z'], '--not-after needs a UTC time'),
    (['analyst', 'a', '--not-before', '20200230000000Z', '--not-after', '20300101000000Z'],
     '--not-before needs a UTC time'),
    (['analyst', 'a', '--not-before', '20300101000000Z', '--not-after', '20200101000000Z'],
     '--not-before must be earlier than --not-after'),
    (['revoke', 'a', '--reason', 'boredom'], "unknown --reason 'boredom'"),
    (['aggregator', 'agg', '--san', 'a,DNS:evil'], "invalid --san 'a,DNS:evil'"),
    (['aggregator', 'agg', '--san', 'IP:not-an-ip'], "invalid IP address in --san"),
    (['aggregator', 'agg', '--san', ''], "invalid --san ''"),
])
def test_usage_errors(ca, args, message):
    before = tree(ca)
    p = pki('-d', ca, *args)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr
    assert "try 'almanac-pki --help'" in p.stderr
    assert p.stdout == ''
    assert tree(ca) == before


BAD_NAMES = ['a/b', '../x', 'x;rm', '', '-x', '.hidden', '_x', 'a b', 'a$(id)', "a'b",
             'a\nb', 'CN=x', 'x' * 64, 'caf\u00e9']


@pytest.mark.parametrize('bad', BAD_NAMES)
@pytest.mark.parametrize('cmd,what', [
    (['sensor', '{}', '--site', 'x'], 'NAME'),
    (['sensor', 's1', '--site', '{}'], 'SITE'),
    (['aggregator', '{}'], 'HOSTNAME'),
    (['analyst', '{}'], 'NAME'),
    (['revoke', '{}'], 'NAME'),
])
def test_names_are_validated(ca, bad, cmd, what):
    before = tree(ca)
    p = pki('-d', ca, *[bad if a == '{}' else a for a in cmd])
    assert p.returncode == 2
    if bad == '-x' and what != 'SITE':   # --site takes the next word as its value
        assert "unknown option '-x'" in p.stderr
    elif bad == '':
        assert '%s must not be empty' % what in p.stderr
    else:
        assert 'invalid %s' % what in p.stderr
    assert tree(ca) == before


def test_ca_is_a_reserved_name(ca):
    for name in ('ca', 'CA'):
        p = pki('-d', ca, 'analyst', name)
        assert p.returncode == 2 and 'reserved' in p.stderr


def test_longest_and_punctuated_names_are_accepted(ca):
    name = 'a' + 'b.c_d-e' * 8 + 'fghijk'
    assert len(name) == 63
    pki_ok('-d', ca, 'sensor', name, '--site', 'Site_1.dc-2')
    assert describe(os.path.join(ca, name + '.crt')).startswith(
        'subject=O = almanac-sensor, OU = Site_1.dc-2, CN = %s\n' % name)


@pytest.mark.parametrize('cmd', [['sensor', 's1', '--site', 'x'], ['aggregator', 'a'],
                                 ['analyst', 'a'], ['revoke', 'a'], ['crl']])
def test_uninitialised_directory_is_refused(tmp_path, cmd):
    missing = tmp_path / 'missing'
    p = pki('-d', missing, *cmd)
    assert p.returncode == 1 and 'does not exist' in p.stderr and 'init' in p.stderr
    assert not missing.exists()

    empty = tmp_path / 'empty'
    empty.mkdir(exist_ok=True)
    p = pki('-d', empty, *cmd)
    assert p.returncode == 1 and 'is not an initialised CA' in p.stderr
    assert os.listdir(empty) == []


def test_missing_openssl_is_reported(ca, tmp_path):
    before = tree(ca)
    p = subprocess.run(['/bin/bash', PKI, '-d', ca, 'analyst', 'a'], capture_output=True,
                       text=True, timeout=60, env={'PATH': str(tmp_path / 'nothing-here')})
    assert p.returncode == 1
    assert 'openssl not found' in p.stderr
    assert tree(ca) == before


def test_script_is_shellcheck_clean():
    if not shutil.which('shellcheck'):
        pytest.skip('shellcheck is not installed')
    p = subprocess.run(['shellcheck', PKI], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout
