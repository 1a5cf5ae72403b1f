/**
 * Findings 1, 9 and 11 (lport, proto in <connection>, push-peer-info): what a member can make
 * the helper's root openvpn do, and what a member can make the helper write in its log.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../electron/main/helper-client.js';
import { HELPER_PROTOCOL_VERSION } from '../../shared/ipc/helper-protocol.js';
import { ADDR } from '../lab/index.js';
import { processesIn } from '../integration/helper-harness.js';
import { connect, disconnect, Rig, sleep, type ConnectOutcome, type Profile } from './rig.js';
import { TEST_PREFIX, type Conn } from './users.js';

let rig: Rig;
let alice: Conn;
const outcomes: ConnectOutcome[] = [];
beforeAll(async () => {
  // Debug lines mirrored too: the hello's client name is logged at debug level.
  rig = await Rig.start('openvpn-udp', { helper: { env: { TSUNAGU_HELPER_DEBUG: '1' } } });
  alice = await rig.client('alice');
});
afterEach(async () => {
  for (const o of outcomes.splice(0)) await disconnect(alice, o).catch(() => undefined);
});
afterAll(async () => {
  await rig.close();
});

async function attempt(profile: Profile, timeoutSeconds = 10): Promise<ConnectOutcome> {
  const outcome = await connect(alice, profile, { timeoutSeconds });
  outcomes.push(outcome);
  return outcome;
}

/** The lab profile's inline block `<tag>…</tag>`. */
function block(profile: string, tag: string): string {
  const m = new RegExp(`<${tag}>\\n[\\s\\S]*?\\n</${tag}>`).exec(profile);
  if (!m) throw new Error(`no <${tag}> in the lab profile`);
  return m[0];
}

/**
 * A line, inside <connection>, of at most 256 bytes as written, whose canonical re-quoting
 * (`'…"…'` becomes `"…\"…"`) grows past 256 bytes so that OpenVPN's string reader splits it:
 * it keeps 255 bytes, drops the next two, and reads the rest as a line of its own: `tail`.
 */
function splitsInto(tail: string): string {
  const head = 'http-proxy-option CUSTOM-HEADER ';
  const quotes = 20;
  // Canonical: head + `"` + 20 × `\"` + x… + `"` + ` ` = 255 bytes; then 2 dropped bytes, then the tail.
  const xs = 255 - head.length - 2 - 2 * quotes - 1;
  return `${head}'${'"'.repeat(quotes)}${'x'.repeat(xs)}' xx${tail}`;
}

describe('finding 1: the canonical text openvpn reads is exactly what was inspected', () => {
  let secretDir = '';
  afterEach(() => {
    if (secretDir) rmSync(secretDir, { recursive: true, force: true });
  });

  it('a <connection> line re-quoted past 256 bytes cannot smuggle http-proxy with a root-only file', async () => {
    // A root-only secret, as /root/… would be.
    secretDir = mkdtempSync(`/run/${TEST_PREFIX}-secret-`);
    chmodSync(secretDir, 0o700);
    const secret = `S${randomBytes(8).toString('hex')}`;
    const secretFile = join(secretDir, 'secret');
    writeFileSync(secretFile, `secuser\n${secret}\n`, { mode: 0o600 });
    // What the server side would receive: a proxy listener on the server's underlay address.
    const received = join(secretDir, 'received');
    const listener = spawn('ip', ['netns', 'exec', rig.lab.serverNetns, process.execPath, '-e',
      "const fs=require('fs');require('net').createServer((s)=>s.on('data',(d)=>fs.appendFileSync(process.argv[2],d))).listen(8080,process.argv[1],()=>console.log('ready'))",
      ADDR.serverUnderlay, received], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
      const lab = readFileSync(rig.lab.profile, 'utf8');
      // OpenVPN's view: L1's tail opens <tls-crypt>, the engine's <tls-auth> opener is its body,
      // `</tls-crypt>` closes it, http-proxy is an option, `<tls-crypt>` opens again and L2's tail
      // closes it; the last <tls-crypt> is the real key. The engine's view: http-proxy is inline
      // tls-auth material.
      const text = [
        'client', 'dev tun', 'nobind', 'remote-cert-tls server', 'verb 3',
        block(lab, 'ca'), block(lab, 'cert'), block(lab, 'key'),
        '<connection>',
        `remote ${ADDR.serverUnderlay} ${ADDR.ovpnPort} tcp`,
        splitsInto('<tls-crypt>'),
        '<tls-auth>',
        '</tls-crypt>',
        `http-proxy ${ADDR.serverUnderlay} 8080 ${secretFile} basic`,
        '<tls-crypt>',
        '</tls-auth>',
        splitsInto('</tls-crypt>'),
        block(lab, 'tls-crypt'),
        '</connection>',
        '',
      ].join('\n');
      expect(Math.max(...text.split('\n').map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(256);
      const outcome = await attempt({ kind: 'openvpn', text, name: 'smuggler' });
      await sleep(3000);
      const got = existsSync(received) ? readFileSync(received, 'utf8') : '';
      expect.soft(got).not.toContain(Buffer.from(`secuser:${secret}`).toString('base64'));
      expect.soft(got).toBe('');
      expect(outcome.refused ? outcome.code : 'accepted').toBe('profile-refused');
      expect(processesIn(rig.lab.clientNetns, ['openvpn'])).toEqual([]);
    } finally {
      listener.kill('SIGKILL');
    }
  });
});

describe('finding 11: directives that reach past the tunnel', () => {
  it('lport 80 (a privileged port bound by root openvpn) is refused', async () => {
    const text = rig.profile().text.replace(/^nobind$/m, 'lport 80');
    expect(text).toContain('lport 80');
    const outcome = await attempt({ kind: 'openvpn', text, name: 'lport' });
    expect(outcome.refused ? outcome.code : 'accepted').toBe('profile-refused');
  });

  it('proto tcp-server inside <connection> is refused', async () => {
    const text = rig.profile().text
      .replace(/^remote .*$/m, `<connection>\nremote ${ADDR.serverUnderlay} ${ADDR.ovpnPort}\nproto tcp-server\n</connection>`)
      .replace(/^proto udp$/m, '');
    const outcome = await attempt({ kind: 'openvpn', text, name: 'tcp-server' });
    expect(outcome.refused ? outcome.code : 'accepted').toBe('profile-refused');
  });

  it('push-peer-info never sends the host MAC to the server (dropped or refused)', async () => {
    let original = '';
    await rig.reconfigureServer((conf) => {
      original = conf;
      return conf.replace(/^verb 3$/m, 'verb 4');
    });
    try {
      const logStart = readFileSync(rig.lab.server.log).length;
      const outcome = await attempt({ ...rig.profile(), text: `${rig.profile().text}push-peer-info\n`, name: 'peer-info' });
      if (outcome.refused) {
        expect(outcome.code).toBe('profile-refused');
        return;
      }
      expect(outcome.state.status).toBe('connected');
      const serverLog = readFileSync(rig.lab.server.log).subarray(logStart).toString('utf8');
      // The server does log peer info at this verbosity: its absence below means something.
      expect(serverLog).toMatch(/IV_VER=/);
      expect(serverLog).not.toMatch(/IV_HWADDR=/);
    } finally {
      await rig.reconfigureServer(() => original);
    }
  });
});

describe('finding 9: no log forgery', () => {
  const forged = 'FORGED 2026-01-01T00:00:00.000Z info uid=0 session granted to root';

  it('newlines and control characters in a profile name or the hello client name are refused and never reach the log', async () => {
    for (const name of [`lab\n${forged}`, `lab\r${forged}`, 'lab\u001b[2Jcleared']) {
      const outcome = await attempt({ ...rig.profile(), name });
      expect.soft(outcome.refused ? outcome.code : 'accepted', JSON.stringify(name)).toBe('bad-request');
    }
    const agent = await rig.agent('bob');
    rig.assertHelperAlive();
    const raw = await agent.open(rig.helper.socketPath);
    const hello = await raw.request({ type: 'hello', version: HELPER_PROTOCOL_VERSION, client: `app\n${forged}` });
    expect.soft(hello.ok ? 'accepted' : hello.error?.code).toBe('bad-request');
    raw.close();
    await sleep(300);
    expect.soft(rig.helper.output()).not.toMatch(/^FORGED/m);
    expect(rig.helper.output()).not.toContain('\u001b[2J');
    const root = await HelperClient.connect({ socketPath: rig.helper.socketPath, clientName: 'security-root' });
    try {
      const lines = (await root.request('log', { lines: 5000 })).lines;
      // eslint-disable-next-line no-control-regex -- the point is to find control characters
      expect(lines.filter((l) => /[\u0000-\u001f\u007f]/.test(l.text) && /FORGED|cleared/.test(l.text))).toEqual([]);
    } finally {
      root.close();
    }
  });
});
