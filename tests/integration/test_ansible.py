"""Deploying to many sites: deploy/examples, deploy/systemd and the Ansible
roles in ansible/.

The playbook is linted, then run for real with ansible_connection=local
against an inventory of three localhost aliases (an aggregator and two
sensor hosts on two sites), each installed into its own directory tree
under one temporary root (almanac_prefix, almanac_config_dir, ...), with
systemd left alone (almanac_systemd: false). The deployed files are
checked, a second run must change nothing, and the deployed programs, run
from the deployed configurations as the deployed service user, must carry a
capture's observations from the sensor into the aggregator's store.

As root (CI) the roles create a service user, almanac-test, removed again
at the end if this test created it; otherwise the current user stands in.
"""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading

import pytest

from conftest import BIN, ROOT, binary, gencap, load_jsonl, tuple_key
from procs import free_port, wait_for

ANSIBLE = os.path.join(ROOT, 'ansible')
EXAMPLES = os.path.join(ROOT, 'deploy', 'examples')
UNITS = os.path.join(ROOT, 'deploy', 'systemd')
PKI_SCRIPT = os.path.join(ROOT, 'deploy', 'almanac-pki')
IS_ROOT = os.geteuid() == 0
TEST_USER = 'almanac-test'

# host -> (site, interfaces); the aggregator is agg1.test.
SENSORS = {'fra1-s1.test': ('fra1', ['lo']), 'ams1-s1.test': ('ams1', ['lo', 'eth7'])}
AGG = 'agg1.test'


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.skip('%s is not installed (make test installs it: mk/deps.sh test)' % tool)
    return path


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def ansible_env(root):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(ANSIBLE, 'ansible.cfg'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCAL_TEMP': os.path.join(root, 'ansible-tmp'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(root, 'ansible-tmp'),
        'ANSIBLE_DISPLAY_SKIPPED_HOSTS': 'false',
    })
    return env


# --- deploy/examples ------------------------------------------------------------


def test_example_configs_pass_the_programs_checks():
    for prog, conf in (('almanac-sensor', 'sensor.conf'),
                       ('almanac-aggregator', 'aggregator.conf')):
        p = run([binary(prog), '-n', '-c', os.path.join(EXAMPLES, conf)])
        assert p.returncode == 0, '%s -n -c %s:\n%s' % (prog, conf, p.stderr)


def test_example_registry_and_api_keys_load(tmp_path):
    """-n does not read the registry or the keys file: start an aggregator
    with both (and the HTTP API on loopback) to prove their format."""
    d = str(tmp_path)
    subprocess.run([PKI_SCRIPT, 'init', d + '/pki'], check=True, capture_output=True)
    subprocess.run([PKI_SCRIPT, '-d', d + '/pki', 'aggregator', 'localhost'], check=True,
                   capture_output=True)
    keys = os.path.join(d, 'api-keys')
    shutil.copy(os.path.join(EXAMPLES, 'api-keys.example'), keys)
    os.chmod(keys, 0o600)  # git keeps no mode but the executable bit
    cmd = [binary('almanac-aggregator'), '--listen', 'tls+tcp://127.0.0.1:%d' % free_port(),
           '--db', d + '/db', '--ca', d + '/pki/ca.crt', '--cert', d + '/pki/localhost.crt',
           '--key', d + '/pki/localhost.key',
           '--registry', os.path.join(EXAMPLES, 'registry.example'),
           '--http', '127.0.0.1:%d' % free_port(), '--api-keys', keys]
    agg = Proc(cmd).start()
    try:
        agg.wait_ready()
    finally:
        agg.stop()


# --- the playbook ------------------------------------------------------------------


def test_playbook_passes_ansible_lint_and_syntax_check(tmp_path):
    lint = need('ansible-lint')
    need('ansible-playbook')
    os.makedirs(os.path.join(str(tmp_path), 'ansible-tmp'))
    env = ansible_env(str(tmp_path))
    helptext = run([lint, '--help'], env=env).stdout
    profile = ['--profile', 'production'] if 'production' in helptext else []
    p = run([lint, '--offline'] + profile + ['site.yml', 'roles'], cwd=ANSIBLE, env=env,
            timeout=300)
    assert p.returncode == 0, 'ansible-lint %s:\n%s\n%s' % (' '.join(profile), p.stdout,
                                                          p.stderr)
    p = run(['ansible-playbook', '-i', 'inventory/example', '--syntax-check', 'site.yml'],
            cwd=ANSIBLE, env=env)
    assert p.returncode == 0, p.stdout + p.stderr


class Deployment:
    """A temporary root, an inventory of localhost aliases, and the runs."""

    def __init__(self):
        # Not under pytest's tmp_path: that is private to root, and the
        # service user must reach its configuration.
        self.root = tempfile.mkdtemp(prefix='almanac-ansible-')
        os.chmod(self.root, 0o755)
        self.pki = os.path.join(self.root, 'pki')
        self.ingest_port, self.http_port = free_port(), free_port()
        self.created_user = False
        if IS_ROOT:
            self.user = self.group = TEST_USER
            try:
                pwd.getpwnam(TEST_USER)
            except KeyError:
                self.created_user = True
        else:
            self.user = pwd.getpwuid(os.getuid()).pw_name
            self.group = grp.getgrgid(os.getgid()).gr_name
        os.makedirs(os.path.join(self.root, 'ansible-tmp'))
        self.inventory = os.path.join(self.root, 'inventory.yml')
        self.write_inventory()

    def host(self, name, *path):
        return os.path.join(self.root, 'hosts', name, *path)

    def prefix(self, h):
        return self.host(h, 'usr', 'local')

    def confdir(self, h):
        return self.host(h, 'etc', 'almanac')

    def statedir(self, h):
        return self.host(h, 'var', 'lib', 'almanac')

    def unitdir(self, h):
        return self.host(h, 'etc', 'systemd', 'system')

    def write_inventory(self):
        hosts = '%s/hosts/{{ inventory_hostname }}' % self.root
        vars_ = {
            'ansible_connection': 'local',
            'ansible_python_interpreter': '/usr/bin/python3',
            'ansible_become': False,
            'almanac_build_dir': BIN,
            'almanac_pki_dir': self.pki,
            'almanac_prefix': hosts + '/usr/local',
            'almanac_config_dir': hosts + '/etc/almanac',
            'almanac_state_dir': hosts + '/var/lib/almanac',
            'almanac_systemd_dir': hosts + '/etc/systemd/system',
            'almanac_systemd': False,
            'almanac_install_packages': False,
            'almanac_user': self.user,
            'almanac_group': self.group,
            'almanac_user_home': '/nonexistent',
            'almanac_create_user': IS_ROOT,
            'almanac_root_owner': 'root' if IS_ROOT else self.user,
            'almanac_root_group': 'root' if IS_ROOT else self.group,
            'almanac_ingest_port': self.ingest_port,
            'almanac_http_listen': '127.0.0.1:%d' % self.http_port,
        }
        inv = {'all': {
            'vars': vars_,
            'children': {
                'aggregators': {'hosts': {AGG: {
                    # Sensors dial the address and verify the name.
                    'almanac_aggregator_name': 'pdns.almanac.test',
                    'almanac_aggregator_address': '127.0.0.1',
                    'almanac_aggregator_listen': 'tls+tcp://127.0.0.1:%d' % self.ingest_port,
                }}},
                'sensors': {'hosts': {
                    h: {'almanac_site': site, 'almanac_interfaces': ifaces}
                    for h, (site, ifaces) in SENSORS.items()}},
            }}}
        with open(self.inventory, 'w') as f:
            json.dump(inv, f, indent=1)  # JSON is YAML

    def playbook(self):
        p = run(['ansible-playbook', '-i', self.inventory, 'site.yml'], cwd=ANSIBLE,
                env=ansible_env(self.root), timeout=300)
        assert p.returncode == 0, 'ansible-playbook failed:\n%s\n%s' % (p.stdout[-8000:],
                                                                       p.stderr[-3000:])
        recap = {}
        for m in re.finditer(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)'
                             r'\s+failed=(\d+)', p.stdout, re.M):
            recap[m.group(1)] = {'ok': int(m.group(2)), 'changed': int(m.group(3)),
                                 'failed': int(m.group(5))}
        assert set(recap) == {AGG} | set(SENSORS), p.stdout[-3000:]
        return recap, p.stdout

    def as_service_user(self, cmd):
        """The command as the service runs it: as the service user (systemd's
        User=), which also proves the deployed files' ownership."""
        if not IS_ROOT:
            return cmd
        return ['setpriv', '--reuid=' + self.user, '--regid=' + self.group,
                '--init-groups'] + cmd

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
        if self.created_user:
            subprocess.run(['userdel', TEST_USER], capture_output=True)
            subprocess.run(['groupdel', TEST_USER], capture_output=True)


@pytest.fixture(scope='module')
def deployment():
    need('ansible-playbook')
    d = Deployment()
    try:
        d.first = d.playbook()
        yield d
    finally:
        d.cleanup()


def sensor_instances():
    out = []
    for h, (site, ifaces) in SENSORS.items():
        for i in ifaces:
            out.append((h, i, '%s-%s' % (h.split('.')[0], i), site))
    return out


def test_playbook_deploys_checked_configs_keys_and_registry(deployment):
    d = deployment
    recap, _ = d.first
    assert all(r['changed'] > 0 for r in recap.values()), recap
    # The CA and one certificate per aggregator and per sensor instance.
    issued = {f[:-4] for f in os.listdir(d.pki) if f.endswith('.crt')}
    assert issued == {'ca', 'pdns.almanac.test'} | {i[2] for i in sensor_instances()}

    agg_conf = os.path.join(d.confdir(AGG), 'aggregator.conf')
    p = run([os.path.join(d.prefix(AGG), 'bin', 'almanac-aggregator'), '-n', '-c', agg_conf])
    assert p.returncode == 0, p.stderr
    secret_files = [os.path.join(d.confdir(AGG), 'tls', 'aggregator.' + x) for x in ('crt', 'key')]
    for h, iface, sid, site in sensor_instances():
        conf = os.path.join(d.confdir(h), 'sensor-%s.conf' % iface)
        p = run([os.path.join(d.prefix(h), 'bin', 'almanac-sensor'), '-n', '-c', conf])
        assert p.returncode == 0, '%s: %s' % (conf, p.stderr)
        text = open(conf).read()
        assert 'sensor-id = %s\n' % sid in text
        assert 'aggregator = tls+tcp://127.0.0.1:%d\n' % d.ingest_port in text
        assert 'tls-server-name = pdns.almanac.test\n' in text
        secret_files += [os.path.join(d.confdir(h), 'tls', 'sensor-%s.%s' % (iface, x))
                         for x in ('crt', 'key')]
        # Each host gets only the program it runs.
        assert not os.path.exists(os.path.join(d.prefix(h), 'bin', 'almanac-aggregator'))
    for f in secret_files:
        st = os.stat(f)
        assert stat.S_IMODE(st.st_mode) == 0o600, '%s is %o' % (f, stat.S_IMODE(st.st_mode))
        assert pwd.getpwuid(st.st_uid).pw_name == d.user, f
    # The certificates carry the inventory's names and sites.
    for h, iface, sid, site in sensor_instances():
        crt = os.path.join(d.confdir(h), 'tls', 'sensor-%s.crt' % iface)
        subj = run(['openssl', 'x509', '-in', crt, '-noout', '-subject', '-nameopt',
                    'sep_multiline,sname']).stdout
        assert 'CN=%s\n' % sid in subj and 'OU=%s\n' % site in subj, subj

    # The registry lists exactly the inventory's sensor instances.
    with open(os.path.join(d.confdir(AGG), 'registry')) as f:
        lines = {tuple(l.split()) for l in f if l.strip() and not l.startswith('#')}
    assert lines == {(sid, site) for _, _, sid, site in sensor_instances()}


def test_deployed_units_are_deploy_systemd_with_the_hosts_paths(deployment):
    d = deployment
    units = [(AGG, 'almanac-aggregator.service')] + [(h, 'almanac-sensor@.service')
                                                     for h in SENSORS]
    for h, unit in units:
        with open(os.path.join(d.unitdir(h), unit)) as f:
            text = f.read()
        assert text.startswith('# Ansible managed')
        back = text.split('\n', 1)[1]
        back = back.replace(d.prefix(h) + '/bin/', '/usr/local/bin/')
        back = back.replace(d.confdir(h) + '/', '/etc/almanac/')
        back = back.replace('ReadWritePaths=' + d.statedir(h) + '/', 'StateDirectory=almanac/')
        back = back.replace('User=%s\n' % d.user, 'User=almanac\n')
        back = back.replace('Group=%s\n' % d.group, 'Group=almanac\n')
        with open(os.path.join(UNITS, unit)) as f:
            assert back == f.read(), '%s on %s differs from deploy/systemd' % (unit, h)

    analyze = shutil.which('systemd-analyze')
    if not analyze:
        return
    # The deployed units point at the deployed programs, so verify finds them.
    vdir = os.path.join(d.root, 'verify')
    os.makedirs(vdir)
    host = next(iter(SENSORS))
    shutil.copy(os.path.join(d.unitdir(host), 'almanac-sensor@.service'), vdir)
    os.symlink('almanac-sensor@.service', os.path.join(vdir, 'almanac-sensor@lo.service'))
    for path in (os.path.join(d.unitdir(AGG), 'almanac-aggregator.service'),
                 os.path.join(vdir, 'almanac-sensor@lo.service')):
        p = run([analyze, 'verify', path])
        # Not as root, the current user stands in for almanac; it may be nobody.
        complaints = [l for l in p.stderr.splitlines()
                      if l.strip() and 'Special user nobody configured' not in l]
        assert p.returncode == 0 and not complaints, '%s:\n%s' % (path, p.stderr)


def test_second_run_changes_nothing(deployment):
    recap, out = deployment.playbook()
    changed = {h: r['changed'] for h, r in recap.items() if r['changed']}
    assert not changed, 'a second run changed %s:\n%s' % (
        changed, '\n'.join(l for l in out.splitlines() if l.startswith('changed') or
                           l.startswith('TASK'))[-4000:])


class Proc:
    """A program in the foreground, its stderr collected."""

    def __init__(self, cmd):
        self.cmd, self.log, self.proc = cmd, [], None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        return self

    def text(self):
        return ''.join(self.log)

    def wait_ready(self):
        wait_for(lambda: 'ready\n' in self.log or self.proc.poll() is not None,
                 'the aggregator to be ready', timeout=60, detail=self.text)
        assert self.proc.poll() is None, self.text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        return self.proc.returncode


def test_deployed_aggregator_and_sensor_carry_observations(deployment):
    d = deployment
    host, (site, ifaces) = next(iter(SENSORS.items()))
    sid = '%s-%s' % (host.split('.')[0], ifaces[0])
    work = os.path.join(d.root, 'run')
    os.makedirs(work)
    os.chmod(work, 0o755)
    cap, truth = os.path.join(work, 'r.pcap'), os.path.join(work, 'r.truth.jsonl')
    gencap('realistic', '--out', cap, '--truth', truth, '--packets', '4000', '--seed', '11')
    os.chmod(cap, 0o644)

    # The deployed sensor configuration names its interface; a configuration
    # with `interface` cannot take -r on the command line ("give exactly one
    # of -r FILE or -i IFACE"), so read the capture with a copy without it.
    conf = os.path.join(d.confdir(host), 'sensor-%s.conf' % ifaces[0])
    with open(conf) as f:
        lines = [l for l in f if not l.startswith('interface =')]
    assert len(lines) == len(open(conf).readlines()) - 1
    rconf = os.path.join(work, 'sensor.conf')
    with open(rconf, 'w') as f:
        f.writelines(lines)
    os.chmod(rconf, 0o644)

    agg_bin = os.path.join(d.prefix(AGG), 'bin', 'almanac-aggregator')
    agg_conf = os.path.join(d.confdir(AGG), 'aggregator.conf')
    agg = Proc(d.as_service_user([agg_bin, '-c', agg_conf])).start()
    try:
        agg.wait_ready()
        p = run(d.as_service_user([os.path.join(d.prefix(host), 'bin', 'almanac-sensor'),
                                   '-c', rconf, '-r', cap, '--drain-timeout', '60']))
        assert p.returncode == 0, 'sensor:\n%s\naggregator:\n%s' % (p.stderr[-3000:],
                                                                    agg.text()[-3000:])
        spool = os.path.join(d.statedir(host), 'sensor-%s' % ifaces[0], 'spool')
        assert not os.listdir(spool), 'acknowledged batches left in the spool'
        # What an operator watches: the site is known and ok.
        cli = os.path.join(d.prefix(AGG), 'bin', 'almanac')
        p = run([cli, '--server', 'http://127.0.0.1:%d' % d.http_port, 'sites', '--json'])
        assert p.returncode == 0, p.stdout + p.stderr
        assert site in p.stdout and sid in p.stdout, p.stdout
    finally:
        rc = agg.stop()
    assert rc == 0, agg.text()[-3000:]

    p = run(d.as_service_user([agg_bin, '-c', agg_conf, '--export', '-']))
    assert p.returncode == 0, p.stderr
    exported = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    got = {tuple_key(o) for o in exported}
    want = {tuple_key(o) for o in load_jsonl(truth)}
    assert got == want, 'missing %s, unexpected %s' % (sorted(want - got, key=str)[:5],
                                                       sorted(got - want, key=str)[:5])
    assert all(set(o['sites']) == {site} for o in exported), exported[0]
