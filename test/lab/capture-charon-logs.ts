// Captures the charon control-log fixtures of test/fixtures/ikev2/charon-logs (README there):
//   npx tsx test/lab/capture-charon-logs.ts [outdir]     (root; default outdir: those fixtures)
// For each case: a lab IKE scenario, a client charon started exactly as the helper starts its own
// (CharonProcess: the helper's strongswan.conf, so retransmits, plugins and the resolve plugin's
// private file are the product's), the scenario's swanctl.conf or a variant with one failure knob
// loaded by swanctl, then the control-log lines `swanctl --initiate` / `--terminate` print.
// Traffic stays in the lab's namespaces (the dead remote and the unresolvable name go nowhere).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CharonProcess, removeRoutingLeftovers } from '../../electron/helper/drivers/ikev2/charon.js';
import { parseCapturedLine } from '../../electron/helper/drivers/ikev2/failures.js';
import type { RunResult } from './exec.js';
import { sleep } from './exec.js';
import { makeUntrustedCa, writeIkeVariant, type IkeOverrides } from './ikev2-client.js';
import { assignPoolDns, charonPaths, IKE_COMPANION_DIRS, IKE_CONNECTION, swanctl, type Ikev2Scenario } from './ikev2.js';
import { ADDR, assertRoot, down, REFUSED_PROPOSALS, up, type LabInstance } from './index.js';

const DEFAULT_OUT = join(import.meta.dirname, '..', 'fixtures', 'ikev2', 'charon-logs');
/** The pool of the ikev2-psk server also hands out these DNS servers (psk-good shows them). */
const PSK_DNS = [ADDR.dnsServer, '198.18.2.54'];
/** swanctl's own result lines on stdout; every other line must be control-log. */
const STATUS_LINE = /^(?:initiate|terminate) completed successfully$/;
/** Longer than the slowest case (no answer: 1 + 1.4 + 1.96 + 2.74 s). */
const INITIATE_TIMEOUT_S = 20;

interface Capture {
  file: string;
  /** Whether `swanctl --initiate` must succeed (a capture that did not do what it says is not written). */
  connects: boolean;
  knob?: (inst: LabInstance) => Promise<IkeOverrides> | IkeOverrides;
  /** Also terminate the IKE_SA afterwards and write that output to this file. */
  terminateFile?: string;
}

const PLAN: { scenario: Ikev2Scenario; dns?: readonly string[]; captures: Capture[] }[] = [
  {
    scenario: 'ikev2-psk',
    dns: PSK_DNS,
    captures: [
      { file: 'psk-good', connects: true, terminateFile: 'psk-terminate' },
      { file: 'badpsk', connects: false, knob: () => ({ psk: 'not-the-lab-psk' }) },
      { file: 'proposal-ike', connects: false, knob: () => ({ proposals: [REFUSED_PROPOSALS.ike] }) },
      { file: 'proposal-esp', connects: false, knob: () => ({ espProposals: [REFUSED_PROPOSALS.esp] }) },
      { file: 'unreachable', connects: false, knob: () => ({ server: ADDR.deadRemote }) },
      // Lab namespaces have a resolv.conf without servers: the lookup fails inside the namespace.
      { file: 'unresolvable', connects: false, knob: () => ({ server: 'vpn.nonexistent.invalid' }) },
    ],
  },
  {
    scenario: 'ikev2-eap',
    captures: [
      { file: 'eap-good', connects: true },
      { file: 'eap-badpass', connects: false, knob: (inst) => ({ user: need(inst.credentials.bad, 'bad credentials') }) },
      { file: 'untrusted-server', connects: false, knob: async (inst) => ({ ca: await makeUntrustedCa(inst) }) },
    ],
  },
  { scenario: 'ikev2-cert', captures: [{ file: 'cert-good', connects: true }] },
  {
    scenario: 'ikev1-xauth',
    captures: [
      { file: 'xauth-good', connects: true },
      { file: 'xauth-badpass', connects: false, knob: (inst) => ({ user: need(inst.credentials.bad, 'bad credentials') }) },
      { file: 'ikev1-badpsk', connects: false, knob: () => ({ psk: 'not-the-lab-psk' }) },
    ],
  },
];

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`the scenario exports no ${what}`);
  return v;
}

/** The helper's charon in the client namespace, with `source` (a swanctl.conf and companions) loaded. */
async function startClient(inst: LabInstance, dir: string, source: { profile: string; extraFiles: string[] }): Promise<CharonProcess> {
  const swanctlDir = charonPaths(dir).swanctlDir;
  mkdirSync(swanctlDir, { recursive: true, mode: 0o700 });
  // SWANCTL_DIR as IkeClient lays it out: the profile as swanctl.conf, companions where swanctl looks.
  copyFileSync(source.profile, join(swanctlDir, 'swanctl.conf'));
  for (const f of source.extraFiles) {
    const sub = IKE_COMPANION_DIRS[basename(f)];
    if (sub === undefined) throw new Error(`unexpected IKE companion file ${f}`);
    mkdirSync(join(swanctlDir, sub), { recursive: true, mode: 0o700 });
    copyFileSync(f, join(swanctlDir, sub, basename(f)));
  }
  const charon = CharonProcess.launch({ workDir: dir, netns: inst.clientNetns, sessionId: basename(dir) });
  if (typeof charon === 'string') throw new Error(`charon did not start: ${charon}`);
  const deadline = Date.now() + 10_000;
  // The socket appears just before charon listens on it: the first load may need a retry.
  for (;;) {
    if (charon.exited) throw new Error(`charon exited during start (${charon.failure ?? 'see its stderr'})`);
    if (charon.socketReady) {
      const r = await swanctl(dir, ['--load-all', '--noprompt'], true);
      if (r.code === 0) return charon;
      if (Date.now() > deadline) throw new Error(`swanctl --load-all failed: ${r.stderr.trim() || r.stdout.trim()}`);
    } else if (Date.now() > deadline) {
      throw new Error('charon VICI socket did not appear in 10 s');
    }
    await sleep(20);
  }
}

async function stopClient(charon: CharonProcess, netns: string): Promise<void> {
  charon.kill('SIGTERM');
  const killer = setTimeout(() => charon.kill('SIGKILL'), 5_000);
  await charon.exit;
  clearTimeout(killer);
  await removeRoutingLeftovers(netns, charon.routingTable);
}

/** The control-log lines of swanctl's stdout; anything else but its status line is an error. */
function controlLog(r: RunResult, what: string): string[] {
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '' || STATUS_LINE.test(line)) continue;
    if (parseCapturedLine(line) === null) throw new Error(`${what}: swanctl printed a line that is not control-log: ${JSON.stringify(line)}`);
    out.push(line);
  }
  if (out.length === 0) throw new Error(`${what}: swanctl printed no control-log (${r.stderr.trim()})`);
  return out;
}

async function capture(inst: LabInstance, c: Capture, dns: readonly string[] | undefined): Promise<Map<string, string[]>> {
  const overrides = c.knob ? await c.knob(inst) : {};
  const source = c.knob ? writeIkeVariant(inst, overrides) : { profile: inst.profile, extraFiles: inst.extraFiles };
  const dir = join(inst.dir, `capture-${c.file}`);
  const charon = await startClient(inst, dir, source);
  const files = new Map<string, string[]>();
  try {
    const r = await swanctl(dir, ['--initiate', '--child', IKE_CONNECTION, '--timeout', String(INITIATE_TIMEOUT_S)], true);
    const lines = controlLog(r, `${c.file} initiate`);
    if ((r.code === 0) !== c.connects) {
      throw new Error(`${c.file}: initiate ${r.code === 0 ? 'succeeded' : 'failed'}, expected the opposite: ${r.stderr.trim()}\n${lines.join('\n')}`);
    }
    if (!c.connects && !r.stderr.includes('initiate failed')) throw new Error(`${c.file}: no "initiate failed" on stderr: ${r.stderr.trim()}`);
    if (c.connects) {
      for (const s of dns ?? []) {
        if (!lines.some((l) => l.includes(`installing DNS server ${s} `))) throw new Error(`${c.file}: charon did not install DNS server ${s}`);
      }
    }
    files.set(c.file, lines);
    if (c.terminateFile !== undefined) {
      const t = await swanctl(dir, ['--terminate', '--ike', IKE_CONNECTION, '--timeout', '10'], true);
      if (t.code !== 0) throw new Error(`${c.terminateFile}: terminate failed: ${t.stderr.trim()}`);
      files.set(c.terminateFile, controlLog(t, `${c.terminateFile} terminate`));
    }
  } finally {
    await stopClient(charon, inst.clientNetns);
  }
  return files;
}

async function main(): Promise<void> {
  assertRoot();
  const outDir = resolve(process.argv[2] ?? DEFAULT_OUT);
  mkdirSync(outDir, { recursive: true });
  // Everything first, then the files: a failed run leaves the fixtures as they were.
  const all = new Map<string, string[]>();
  for (const step of PLAN) {
    const inst = await up(step.scenario);
    try {
      if (step.dns) await assignPoolDns(inst, step.dns);
      for (const c of step.captures) {
        const t0 = performance.now();
        for (const [file, lines] of await capture(inst, c, step.dns)) all.set(file, lines);
        console.log(`${step.scenario} ${c.file}: ${Math.round(performance.now() - t0)} ms`);
      }
    } finally {
      await down(inst.id);
    }
  }
  for (const [file, lines] of all) writeFileSync(join(outDir, `${file}.log`), `${lines.join('\n')}\n`);
  console.log(`wrote ${all.size} captures to ${outDir}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
