/**
 * Tunnel DNS through a real systemd-resolved (test/lab/resolved.ts: the Debian package unpacked,
 * never installed, run with a private system bus in the lab's namespaces; the host's DNS is not
 * touched). Two links, each with a DNS responder (test/lab/dns-responder.py): `lan0`, the
 * physical one, configured as a DHCP client would, and `tsn0`, the tunnel. The helper's DNS code
 * runs inside the namespace (test/lab/resolved-dns.ts); resolved's own D-Bus properties and the
 * responders tell what happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, waitUntil } from '../lab/exec.js';
import { REPO, resolvedPackage, startResolvedLab, type ResolvedLab } from '../lab/resolved.js';

const LAN = { iface: 'lan0', addr: '10.77.0.2/24', dns: '10.77.0.53', answer: '192.0.2.77' };
const TUN = { iface: 'tsn0', addr: '10.78.0.2/24', dns: '10.78.0.53', answer: '192.0.2.78' };

const pkg = await resolvedPackage();
let lab: ResolvedLab;
const responders: ChildProcess[] = [];
const queries = new Map<string, string[]>();

/** A veth pair with both ends in the namespace (a link with carrier), the DNS address on `iface`. */
async function addLink(netns: string, l: typeof LAN): Promise<void> {
  const ip = (...args: string[]) => run('ip', ['netns', 'exec', netns, 'ip', ...args]);
  await ip('link', 'add', l.iface, 'type', 'veth', 'peer', 'name', `${l.iface}p`);
  await ip('addr', 'add', l.addr, 'dev', l.iface);
  await ip('addr', 'add', `${l.dns}/32`, 'dev', l.iface);
  await ip('link', 'set', `${l.iface}p`, 'up');
  await ip('link', 'set', l.iface, 'up');
}

async function startResponder(l: typeof LAN): Promise<void> {
  const child = spawn('nsenter', ['-t', String(lab.pid), '-n', '--', 'python3', `${REPO}/test/lab/dns-responder.py`, l.dns, l.answer], { stdio: ['ignore', 'pipe', 'inherit'] });
  responders.push(child);
  const seen: string[] = [];
  queries.set(l.dns, seen);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`DNS responder on ${l.dns} exited (${String(code)})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('query ')) seen.push(line.slice(6));
    });
  });
}

const dnsCode = async (...args: string[]): Promise<unknown> => JSON.parse((await lab.exec(`${REPO}/node_modules/.bin/tsx`, [`${REPO}/test/lab/resolved-dns.ts`, ...args])).stdout) as unknown;

async function ifindex(iface: string): Promise<number> {
  return Number((await lab.exec('cat', [`/sys/class/net/${iface}/ifindex`])).stdout.trim());
}

/** resolved's view of a link: its DNS servers (as text), domains and DefaultRoute, from D-Bus. */
async function linkView(iface: string): Promise<{ dns: string[]; domains: [string, boolean][]; defaultRoute: boolean }> {
  const path = `/org/freedesktop/resolve1/link/_3${String(await ifindex(iface))}`;
  const prop = async (name: string): Promise<unknown> =>
    (JSON.parse((await lab.exec('busctl', ['--system', '--json=short', 'get-property', 'org.freedesktop.resolve1', path, 'org.freedesktop.resolve1.Link', name])).stdout) as { data: unknown }).data;
  const dns = (await prop('DNS')) as [number, number[]][];
  return {
    dns: dns.map(([family, bytes]) => (family === 2 ? bytes.join('.') : ipaddr.fromByteArray(bytes).toString())),
    domains: (await prop('Domains')) as [string, boolean][],
    defaultRoute: (await prop('DefaultRoute')) as boolean,
  };
}

/** Resolves `name` as any program in the namespace would (glibc → resolv.conf → resolved's stub). */
async function lookup(name: string): Promise<string | null> {
  const r = await lab.exec('getent', ['ahostsv4', name], { allowFail: true });
  return r.code === 0 ? (r.stdout.split(/\s+/)[0] ?? null) : null;
}

describe.skipIf('unavailable' in pkg)(`tunnel DNS through systemd-resolved${'unavailable' in pkg ? ` (skipped: ${pkg.unavailable})` : ''}`, () => {
  beforeAll(async () => {
    if (!('root' in pkg)) return;
    lab = await startResolvedLab(pkg.root, async (netns) => {
      await addLink(netns, LAN);
      await addLink(netns, TUN);
    });
    await Promise.all([startResponder(LAN), startResponder(TUN)]);
    // The physical link's DNS, as networkd or NetworkManager would set it.
    const octets = LAN.dns.split('.');
    await lab.exec('busctl', ['--system', 'call', 'org.freedesktop.resolve1', '/org/freedesktop/resolve1', 'org.freedesktop.resolve1.Manager', 'SetLinkDNS', 'ia(iay)', String(await ifindex(LAN.iface)), '1', '2', '4', ...octets]);
  });

  afterAll(async () => {
    for (const r of responders) r.kill('SIGKILL');
    await lab?.stop();
  });

  it('detects a system that uses systemd-resolved: stub resolv.conf and resolved on the bus', async () => {
    expect(await dnsCode('detect')).toEqual({ stub: true, resolved: true });
    expect(await lookup('before.example')).toBe(LAN.answer);
  });

  it('applies the tunnel DNS as link DNS with ~. and DefaultRoute; names go to the tunnel server only', async () => {
    expect(await dnsCode('apply', TUN.iface, `${TUN.dns},fd00:78::53`, 'corp.test')).toEqual({ record: `resolved:${TUN.iface}` });
    expect(await linkView(TUN.iface)).toEqual({ dns: [TUN.dns, 'fd00:78::53'], domains: [['.', true], ['corp.test', false]], defaultRoute: true });
    expect((await linkView(LAN.iface)).dns).toEqual([LAN.dns]);
    expect(await lookup('during.example')).toBe(TUN.answer);
    expect(queries.get(TUN.dns)).toContain('during.example');
    expect(queries.get(LAN.dns)).not.toContain('during.example');
  });

  it('reverts the link on teardown: names go to the physical link again', async () => {
    expect(await dnsCode('remove', `resolved:${TUN.iface}`)).toEqual({ removed: true });
    expect(await linkView(TUN.iface)).toMatchObject({ dns: [], domains: [] });
    expect(await lookup('after.example')).toBe(LAN.answer);
    expect(queries.get(TUN.dns)).not.toContain('after.example');
  });

  it('leaves nothing once the link is gone (crash): resolved drops its settings, crash cleanup is a no-op', async () => {
    await dnsCode('apply', TUN.iface, TUN.dns, '-');
    const index = await ifindex(TUN.iface);
    const state = `/run/systemd/resolve/netif/${String(index)}`;
    expect((await lab.exec('cat', [state])).stdout).toContain(TUN.dns);
    await lab.exec('ip', ['link', 'del', TUN.iface]);
    const known = async () =>
      (await lab.exec('busctl', ['--system', 'call', 'org.freedesktop.resolve1', '/org/freedesktop/resolve1', 'org.freedesktop.resolve1.Manager', 'GetLink', 'i', String(index)], { allowFail: true })).code === 0;
    // resolved hears of the removal over netlink, a moment later.
    await waitUntil('resolved to forget the deleted link', async () => !(await known()), 5_000);
    expect((await lab.exec('test', ['-e', state], { allowFail: true })).code).not.toBe(0);
    expect(await dnsCode('remove', `resolved:${TUN.iface}`)).toEqual({ removed: true });
    expect(await lookup('crashed.example')).toBe(LAN.answer);
  });

  it('does not take a stub resolv.conf alone for resolved: with resolved stopped, detection says no', async () => {
    // Read from the host: in the lab's mount namespace /proc is its PID namespace's.
    const children = readFileSync(`/proc/${String(lab.pid)}/task/${String(lab.pid)}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const resolvedPid = children.find((p) => existsSync(`/proc/${String(p)}/exe`) && readlinkSync(`/proc/${String(p)}/exe`).endsWith('/systemd-resolved'));
    expect(resolvedPid).toBeDefined();
    process.kill(resolvedPid ?? 0, 'SIGKILL');
    await waitUntil('systemd-resolved to exit', () => !existsSync(`/proc/${String(resolvedPid)}/exe`), 5_000);
    expect(await dnsCode('detect')).toEqual({ stub: true, resolved: false });
  });
});
