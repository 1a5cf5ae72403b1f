/**
 * `sudo npm run demo`: Tsunagu against real VPN servers on this machine.
 *
 * Starts the lab's openvpn-udp and wireguard-split servers, a helper for each, the app services
 * with the two profiles imported, and the UI: the Electron app when its binary is present (on the
 * OpenVPN helper), otherwise the production renderer served through the dev bridge on 127.0.0.1
 * with a random token; the URLs are printed. Ctrl-C tears everything down (UI, helpers, lab).
 *
 * LIMITATION: every lab instance has its own client network namespace with the same address plan
 * (198.18.1.0/24 …), and a helper runs tunnels in exactly one namespace (`--netns`). One UI can
 * therefore reach only one scenario's server: the demo runs one helper + services + bridge per
 * scenario and prints one URL each ("OpenVPN" and "WireGuard"). Both UIs show both profiles; each
 * connects only the one whose server is in its namespace.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundleApp, bundleCli } from '../build/bundle.js';
import { buildRenderer, createBridgeServices, ROOT, startBridge, type Bridge } from '../electron/dev-bridge/index.js';
import type { AppServices } from '../electron/main/services/app-services.js';
import { startHelperProcess, type RunningHelperProcess } from '../test/integration/helper-harness.js';
import { down, up, type LabInstance } from '../test/lab/index.js';

const SCENARIOS = [
  { scenario: 'openvpn-udp', label: 'OpenVPN' },
  { scenario: 'wireguard-split', label: 'WireGuard' },
] as const;

interface Side {
  label: string;
  lab: LabInstance;
  helper: RunningHelperProcess;
  services: AppServices;
  bridge: Bridge | null;
  dataDir: string;
}

function electronBinary(): string | null {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

async function importProfiles(services: AppServices, labs: LabInstance[]): Promise<void> {
  for (const [i, lab] of labs.entries()) {
    const source = { kind: 'text' as const, text: readFileSync(lab.profile, 'utf8'), fileName: basename(lab.profile) };
    const prepared = await services.handlers['profiles:prepare-import']({ source });
    if (!prepared.ok) throw new Error(`${lab.scenario}: ${prepared.error.message.en}`);
    const committed = await services.handlers['profiles:commit-import']({ importId: prepared.value.importId, names: [`Lab ${SCENARIOS[i]?.label ?? lab.scenario}`] });
    if (!committed.ok) throw new Error(`${lab.scenario}: ${committed.error.message.en}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root (lab servers, the helper): sudo npm run demo');
  console.log('Building the helper and the renderer…');
  await bundleCli();
  const electron = electronBinary();
  const rendererDir = electron ? null : await buildRenderer();
  if (electron) await bundleApp();

  const sides: Side[] = [];
  let electronApp: ChildProcess | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      console.log('\nStopping…');
      electronApp?.kill('SIGTERM');
      for (const side of sides) {
        await Promise.race([side.services.connections.disconnectAll(), new Promise((r) => setTimeout(r, 5000))]);
        await side.bridge?.close();
        side.services.stop();
        await side.helper.stop();
        await down(side.lab.id);
        rmSync(side.dataDir, { recursive: true, force: true });
      }
      console.log('Lab, helpers and UI stopped.');
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

  try {
    console.log('Starting the lab servers…');
    const labs = [];
    for (const { scenario } of SCENARIOS) labs.push(await up(scenario));
    for (const [i, { label }] of SCENARIOS.entries()) {
      const lab = labs[i];
      if (!lab) continue;
      const helper = await startHelperProcess(lab.clientNetns);
      const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-demo-'));
      const services = await createBridgeServices({ dataDir, socketPath: helper.socketPath, version: 'demo' });
      void services.start();
      await importProfiles(services, labs);
      const side: Side = { label, lab, helper, services, bridge: null, dataDir };
      sides.push(side);
      if (rendererDir) side.bridge = await startBridge({ rendererDir, handlers: services.handlers, events: services.events });
    }

    if (electron) {
      // The Electron app uses its own services and keychain; it talks to the OpenVPN side's helper.
      const openvpn = sides[0];
      const userData = mkdtempSync(join(tmpdir(), 'tsunagu-demo-electron-'));
      electronApp = spawn(electron, [join(ROOT, 'out/main/main.js'), `--user-data-dir=${userData}`, '--no-sandbox'], {
        stdio: 'inherit',
        env: { ...process.env, TSUNAGU_SOCKET: openvpn?.helper.socketPath ?? '' },
      });
      console.log(`Electron started on the ${openvpn?.label} helper (socket ${openvpn?.helper.socketPath}); import ${openvpn?.lab.profile} from its Import… button.`);
      electronApp.on('exit', () => void stop().then(() => process.exit(0)));
    } else {
      console.log('\nThe Electron binary is absent (npm run electron:install fetches it): the UI is served by the dev bridge.');
      for (const side of sides) {
        console.log(`  ${side.label.padEnd(9)} (helper in ${side.lab.clientNetns}): ${side.bridge?.url}`);
      }
      console.log('Both profiles are imported in each; connect the one named after the URL\'s scenario.');
    }
    console.log('Try traffic: sudo ip netns exec <namespace> ping 198.18.2.2');
    console.log('Ctrl-C stops everything.');
  } catch (e) {
    await stop();
    throw e;
  }
}

await main();
