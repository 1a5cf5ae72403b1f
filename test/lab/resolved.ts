/**
 * A real systemd-resolved for tests, without touching the host's DNS: the Debian package is
 * downloaded (`apt-get download`, never installed: its postinst replaces /etc/resolv.conf) and
 * unpacked into a cache directory, then run with a private system dbus-daemon inside a network
 * namespace plus private mount and PID namespaces. There /run/dbus, /run/systemd, /etc/passwd
 * (with the systemd-resolve user) and /etc/resolv.conf (resolved's stub-resolv.conf) are bind
 * mounts over the host's, so code run in it (`exec`) sees a system that uses systemd-resolved.
 * resolved runs without systemd as PID 1: it needs only the bus, its user and its runtime directory.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { killAndWait, run, spawnDetached, waitUntil, type RunOptions, type RunResult } from './exec.js';
import { labRoot, randomId } from './names.js';

export const REPO = resolve(import.meta.dirname, '../..');
// The private passwd's user for resolved; a host that has one (resolved installed once) keeps its own.
const RESOLVED_UID = 991;

function withResolvedUser(file: string, line: string): { text: string; id: number } {
  const text = readFileSync(file, 'utf8');
  const own = /^systemd-resolve:[^:]*:(\d+):/m.exec(text);
  return own ? { text, id: Number(own[1]) } : { text: `${text}${line}\n`, id: RESOLVED_UID };
}

export interface ResolvedLab {
  id: string;
  netns: string;
  /** The process whose mount and network namespaces are the lab's (init of its PID namespace). */
  pid: number;
  dir: string;
  /** Runs a command in the lab's namespaces (working directory: the repository). */
  exec(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

/** The unpacked package's root, or why it cannot be had (only then may a test skip). */
export async function resolvedPackage(): Promise<{ root: string } | { unavailable: string }> {
  const cache = process.env.TSUNAGU_RESOLVED_CACHE ?? '/var/cache/tsunagu-test/systemd-resolved';
  const root = join(cache, 'root');
  if (existsSync(join(root, 'lib/systemd/systemd-resolved'))) return { root };
  mkdirSync(cache, { recursive: true });
  const download = () => run('apt-get', ['download', '-q', 'systemd-resolved'], { cwd: cache, allowFail: true, timeoutMs: 120_000 });
  let r = await download();
  if (r.code !== 0) {
    // A fresh machine may have no package lists yet.
    await run('apt-get', ['update', '-qq'], { allowFail: true, timeoutMs: 300_000 });
    r = await download();
  }
  const deb = readdirSync(cache).find((f) => /^systemd-resolved_.*\.deb$/.test(f));
  if (r.code !== 0 || deb === undefined) return { unavailable: `apt-get download systemd-resolved failed: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' | ')}` };
  await run('dpkg', ['-x', join(cache, deb), root]);
  return { root };
}

function holderScript(root: string, dir: string, uid: number, gid: number): string {
  return `set -e
[ -d /run/dbus ] || { echo 'no /run/dbus to mount the private bus over' >&2; exit 1; }
mount --bind ${dir}/run-dbus /run/dbus
mount -t tmpfs -o mode=755 tmpfs /run/systemd
mkdir -p /run/systemd/resolve /run/systemd/resolved.conf.d
chown ${uid}:${gid} /run/systemd/resolve
cp ${dir}/resolved.conf /run/systemd/resolved.conf.d/test.conf
mount --bind ${dir}/passwd /etc/passwd
mount --bind ${dir}/group /etc/group
mount --bind ${dir}/stub-placeholder /etc/resolv.conf
dbus-daemon --config-file=${dir}/bus.conf --nofork --nopidfile &
while [ ! -S /run/dbus/system_bus_socket ]; do sleep 0.02; done
${root}/lib/systemd/systemd-resolved &
while [ ! -s /run/systemd/resolve/stub-resolv.conf ]; do sleep 0.02; done
umount /etc/resolv.conf
mount --bind /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
touch ${dir}/ready
wait
`;
}

// The system bus's own default policy, plus resolved's policy file from the package.
function busConfig(root: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>${root}/usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf</include>
</busconfig>
`;
}

/**
 * Starts resolved in a new namespace `setup` has prepared (it runs first, in the namespace: links,
 * addresses). No fallback servers, LLMNR, mDNS or cache: every query goes to a configured link.
 */
export async function startResolvedLab(root: string, setup: (netns: string) => Promise<void>): Promise<ResolvedLab> {
  const id = randomId();
  const netns = `${id}-r`;
  const dir = join(labRoot(), id);
  mkdirSync(join(dir, 'run-dbus'), { recursive: true });
  writeFileSync(join(dir, 'bus.conf'), busConfig(root));
  writeFileSync(join(dir, 'resolved.conf'), '[Resolve]\nLLMNR=no\nMulticastDNS=no\nFallbackDNS=\nDNSSEC=no\nCache=no\n');
  const passwd = withResolvedUser('/etc/passwd', `systemd-resolve:x:${RESOLVED_UID}:${RESOLVED_UID}:systemd Resolver:/:/usr/sbin/nologin`);
  const group = withResolvedUser('/etc/group', `systemd-resolve:x:${RESOLVED_UID}:`);
  writeFileSync(join(dir, 'passwd'), passwd.text);
  writeFileSync(join(dir, 'group'), group.text);
  // Until resolved writes its stub file: so that it does not take the host's servers as global ones.
  writeFileSync(join(dir, 'stub-placeholder'), 'nameserver 127.0.0.53\n');
  writeFileSync(join(dir, 'holder.sh'), holderScript(root, dir, passwd.id, group.id));
  await run('ip', ['netns', 'add', netns]);
  let holder: number | null = null;
  const stop = async (): Promise<void> => {
    // --kill-child: the PID namespace's init dies with unshare, and every daemon with it.
    if (holder !== null) await killAndWait([holder]);
    await run('ip', ['netns', 'del', netns], { allowFail: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    await setup(netns);
    holder = spawnDetached(
      'ip',
      ['netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', join(dir, 'holder.sh')],
      join(dir, 'holder.log'),
    );
    await waitUntil('systemd-resolved in the lab namespace', () => existsSync(join(dir, 'ready')), 15_000);
    const h = holder;
    const pid = Number(readFileSync(`/proc/${h}/task/${h}/children`, 'utf8').trim().split(/\s+/)[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('the lab namespace has no init process');
    return {
      id,
      netns,
      pid,
      dir,
      exec: (cmd, args, opts) => run('nsenter', ['-t', String(pid), '-m', '-n', `--wd=${REPO}`, '--', cmd, ...args], opts),
      stop,
    };
  } catch (e) {
    const log = existsSync(join(dir, 'holder.log')) ? readFileSync(join(dir, 'holder.log'), 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
    await stop();
    throw new Error(`${(e as Error).message}${log ? ` (holder: ${log})` : ''}`, { cause: e });
  }
}
