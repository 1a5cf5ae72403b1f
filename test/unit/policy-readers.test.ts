/**
 * The Linux policy reader and the policy service (electron/helper/policy) against real files in
 * temporary directories: merge order, and every way a file is refused (broken JSON, wrong types,
 * unknown names, not root's, group/world-writable, symlinks), each giving one line that names the
 * file and the safe defaults; changes are picked up without a restart. Runs as root (the files'
 * owner is part of what is checked).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinuxPolicyReader } from '../../electron/helper/policy/linux.js';
import { readProvisioned } from '../../electron/helper/policy/provisioned.js';
import { PolicyService } from '../../electron/helper/policy/service.js';
import { renderHelperMessage } from '../../shared/i18n/helper-messages.js';
import { resolvePolicy } from '../../shared/policy/resolve.js';
import { serverMatches, serversOutside } from '../../shared/policy/servers.js';
import { reachedHosts, serverHosts } from '../../shared/policy/servers-of.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagu-policy-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function put(path: string, content: unknown, mode = 0o644): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true, mode: 0o755 });
  writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content), { mode });
  chmodSync(full, mode);
  return full;
}

function effective() {
  return resolvePolicy(new LinuxPolicyReader(dir).read());
}

describe('Linux policy reader', () => {
  it('gives the defaults, and no problem, when the directory is empty or missing', () => {
    expect(effective()).toEqual({ values: defaultPolicyValues(), sources: expect.any(Object), problems: [] });
    expect(Object.values(effective().sources).every((s) => s === 'default')).toBe(true);
    expect(resolvePolicy(new LinuxPolicyReader(join(dir, 'nope')).read()).problems).toEqual([]);
  });

  it('merges policy.json then policy.d/*.json in name order, and says where each value came from', () => {
    const main = put('policy.json', { AllowScripts: true, AlwaysOn: true, LogLevel: 'warn' });
    const first = put('policy.d/10-first.json', { AlwaysOn: false, AllowedServers: ['*.corp.example'] });
    const second = put('policy.d/20-second.json', { AllowedServers: ['vpn.example.com', '192.0.2.0/24'] });
    put('policy.d/05-ignored.txt', { AllowScripts: false });
    const e = effective();
    expect(e.problems).toEqual([]);
    expect(e.values).toMatchObject({ AllowScripts: true, AlwaysOn: false, LogLevel: 'warn', AllowedServers: ['vpn.example.com', '192.0.2.0/24'], AllowUserProfiles: true });
    expect(e.sources).toMatchObject({ AllowScripts: main, LogLevel: main, AlwaysOn: first, AllowedServers: second, AllowUserProfiles: 'default' });
  });

  it('ignores a file with broken JSON, with one line naming it', () => {
    put('policy.json', { AllowScripts: true });
    const broken = put('policy.d/50-broken.json', '{ "AlwaysOn": true,');
    const e = effective();
    expect(e.values.AllowScripts).toBe(true);
    expect(e.values.AlwaysOn).toBe(false);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(new RegExp(`^${broken}: is not valid JSON`));
  });

  it('a wrong type or value falls back to the default (not an earlier value), an unknown name is ignored, each with its line', () => {
    put('policy.json', { AllowScripts: true, AllowedKinds: ['wireguard'] });
    const bad = put('policy.d/90-bad.json', { AllowScripts: 'yes', AllowedKinds: ['l2tp'], AllowedServers: ['not a host!'], AlowScripts: true, AlwaysOn: true });
    const e = effective();
    expect(e.values).toMatchObject({ AllowScripts: false, AllowedKinds: ['openvpn', 'wireguard', 'ikev2'], AllowedServers: ['*'], AlwaysOn: true });
    expect(e.sources).toMatchObject({ AllowScripts: 'default', AllowedKinds: 'default', AlwaysOn: bad });
    expect(e.problems).toHaveLength(4);
    expect(e.problems.every((p) => p.startsWith(`${bad}: `))).toBe(true);
    expect(e.problems.find((p) => p.includes('AlowScripts'))).toMatch(/unknown policy 'AlowScripts'/);
    expect(e.problems.find((p) => p.includes(': AllowScripts:'))).toMatch(/using the default false/);
    expect(put('policy.d/91-array.json', [1, 2]) && effective().problems.at(-1)).toMatch(/91-array.json: not a JSON object/);
  });

  it('refuses a world-writable or group-writable file, and one not owned by root', () => {
    const world = put('policy.json', { AllowScripts: true }, 0o666);
    expect(effective().values.AllowScripts).toBe(false);
    expect(effective().problems).toEqual([`${world}: the file is writable by its group or others (mode 0666); ignored`]);
    chmodSync(world, 0o664);
    expect(effective().problems[0]).toMatch(/mode 0664/);
    chmodSync(world, 0o644);
    chownSync(world, 65534, 0);
    expect(effective().values.AllowScripts).toBe(false);
    expect(effective().problems).toEqual([`${world}: the file is owned by uid 65534, not root; ignored`]);
    chownSync(world, 0, 0);
    expect(effective()).toMatchObject({ values: { AllowScripts: true }, problems: [] });
  });

  it('refuses a symlinked file and a symlinked policy.d, even to a good file', () => {
    const real = put('elsewhere/real.json', { AlwaysOn: true });
    symlinkSync(real, join(dir, 'policy.json'));
    expect(effective().values.AlwaysOn).toBe(false);
    expect(effective().problems).toEqual([`${join(dir, 'policy.json')}: the file is a symlink; ignored`]);
    rmSync(join(dir, 'policy.json'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'policy.d'));
    expect(effective().values.AlwaysOn).toBe(false);
    expect(effective().problems).toEqual([`${join(dir, 'policy.d')}: the directory is a symlink; ignored`]);
  });

  it('refuses everything under a policy directory others can write to', () => {
    put('policy.json', { AllowScripts: true });
    chmodSync(dir, 0o777);
    expect(effective().values.AllowScripts).toBe(false);
    expect(effective().problems[0]).toMatch(/the directory is writable by its group or others \(mode 0777\)/);
  });
});

describe('policy service', () => {
  it('applies a change without a restart, logging what changed and where from', async () => {
    const lines: string[] = [];
    const service = new PolicyService(new LinuxPolicyReader(dir), (level, code, params) => lines.push(`${level} ${renderHelperMessage('en', code, params) ?? code}`));
    const changed = new Promise<void>((resolve) => service.onChange(() => resolve()));
    service.start();
    try {
      expect(service.policy.values.AlwaysOn).toBe(false);
      const file = put('policy.d/10-on.json', { AlwaysOn: true });
      await changed;
      expect(service.policy.values.AlwaysOn).toBe(true);
      expect(lines).toContain(`info policy: AlwaysOn = true (from ${file})`);
    } finally {
      service.stop();
    }
  });

  it('logs each problem once per reading, never throws', () => {
    const lines: string[] = [];
    put('policy.json', 'not json');
    const service = new PolicyService(new LinuxPolicyReader(dir), (level, code, params) => lines.push(`${level} ${renderHelperMessage('en', code, params) ?? code}`));
    expect(service.policy.values).toEqual(defaultPolicyValues());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warn policy: .*policy\.json: is not valid JSON/);
  });
});

describe('provisioned profiles on disk', () => {
  it('reads <id>.ovpn and <id>.conf that are root’s, and names each file it refuses', () => {
    put('profiles/office.ovpn', 'client\nremote 192.0.2.1\n', 0o600);
    put('profiles/lab-wg.conf', '[Interface]\n', 0o600);
    const loose = put('profiles/loose.ovpn', 'client\n', 0o666);
    const badName = put('profiles/Bad Name.ovpn', 'client\n', 0o600);
    put('profiles/readme.txt', 'not a profile', 0o600);
    const { profiles, problems } = readProvisioned(dir);
    expect(profiles.map((p) => [p.id, p.kind])).toEqual([['lab-wg', 'wireguard'], ['office', 'openvpn']]);
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.startsWith(`${loose}: the file is writable`))).toBe(true);
    expect(problems.some((p) => p.startsWith(`${badName}: the name`))).toBe(true);
  });
});

describe('AllowedServers patterns', () => {
  it('matches names by name and addresses by address or block', () => {
    expect(serverMatches('VPN.Example.com.', 'vpn.example.com')).toBe(true);
    expect(serverMatches('a.b.corp.example', '*.corp.example')).toBe(true);
    expect(serverMatches('corp.example', '*.corp.example')).toBe(false);
    expect(serverMatches('evilcorp.example', '*.corp.example')).toBe(false);
    expect(serverMatches('192.0.2.77', '192.0.2.0/24')).toBe(true);
    expect(serverMatches('::ffff:192.0.2.77', '192.0.2.0/24')).toBe(true);
    expect(serverMatches('198.51.100.1', '192.0.2.0/24')).toBe(false);
    expect(serverMatches('2001:db8::5', '2001:db8::/32')).toBe(true);
    // A name is not resolved, and an address is not a name.
    expect(serverMatches('192.0.2.1.nip.io', '192.0.2.0/24')).toBe(false);
    expect(serverMatches('192.0.2.1', '*.example.com')).toBe(false);
    expect(serversOutside(['vpn.example.com', '203.0.113.9'], ['vpn.example.com'])).toEqual(['203.0.113.9']);
    expect(serversOutside(['anything'], ['*'])).toEqual([]);
  });
});

describe('the servers a profile reaches', () => {
  it('with remote-random-hostname, a name remote is reached under a random label: only a wildcard covers it', () => {
    const text = (extra: string) => `client\ndev tun\nremote vpn.example.com 1194\nremote 192.0.2.1 1194\nremote-cert-tls server\nauth-user-pass\n${extra}<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n`;
    const plain = inspectProfile(text(''), { kind: 'openvpn' }).profile;
    const random = inspectProfile(text('remote-random-hostname\n'), { kind: 'openvpn' }).profile;
    if (!plain || !random) throw new Error('refused');
    expect(serversOutside(reachedHosts(plain), ['vpn.example.com', '192.0.2.0/24'])).toEqual([]);
    expect(serversOutside(reachedHosts(random), ['vpn.example.com', '192.0.2.0/24'])).toHaveLength(1);
    expect(serversOutside(reachedHosts(random), ['*.vpn.example.com', '192.0.2.0/24'])).toEqual([]);
    expect(serverHosts(random)).toEqual(['vpn.example.com', '192.0.2.1']);
  });

  it('through an OpenVPN proxy, the proxy is reached and judged as well as the remote behind it (it resolves that name and could connect anywhere)', () => {
    const text = (extra: string) => `client\ndev tun\nproto tcp-client\nremote vpn.example.com 443\nremote-cert-tls server\nauth-user-pass\n${extra}<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>\n`;
    const hostsOf = (extra: string) => {
      const profile = inspectProfile(text(extra), { kind: 'openvpn' }).profile;
      if (!profile) throw new Error(`refused: ${extra}`);
      return reachedHosts(profile);
    };
    const allowed = ['vpn.example.com', 'proxy.corp.example'];
    expect(hostsOf('http-proxy proxy.corp.example 3128\n')).toEqual(['vpn.example.com', 'proxy.corp.example']);
    expect(serversOutside(hostsOf('http-proxy proxy.corp.example 3128\n'), allowed)).toEqual([]);
    // An allowed remote's name handed to a proxy nobody allowed: refused, naming the proxy.
    expect(serversOutside(hostsOf('http-proxy 203.0.113.66 3128\n'), allowed)).toEqual(['203.0.113.66']);
    expect(serversOutside(hostsOf('socks-proxy evil.example.net\n'), allowed)).toEqual(['evil.example.net']);
    expect(serversOutside(hostsOf('http-proxy-override evil.example.net 8080\n'), allowed)).toEqual(['evil.example.net']);
    // The proxy does not stand for the remote: a remote outside the list is refused through an allowed proxy too.
    const other = inspectProfile(text('http-proxy proxy.corp.example 3128\n').replace('remote vpn.example.com', 'remote other.example.net'), { kind: 'openvpn' }).profile;
    if (!other) throw new Error('refused');
    expect(serversOutside(reachedHosts(other), allowed)).toEqual(['other.example.net']);
    // A proxy no connection goes through (written below the last <connection>) is nobody's.
    expect(hostsOf('<connection>\nremote vpn.example.com 443\n</connection>\nhttp-proxy evil.example.net 3128\n')).toEqual(['vpn.example.com']);
  });
});
