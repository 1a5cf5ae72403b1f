/**
 * `sudo npm run demo`: Tsunagu against real VPN servers on this machine.
 *
 * Starts one lab instance (the openvpn-udp server with a wireguard-split companion in the same
 * server namespace), one helper in that instance's client namespace, the app services with both
 * profiles imported ("Lab OpenVPN", "Lab WireGuard"), and the UI: the Electron app when its binary
 * is present (on that helper), otherwise the production renderer served through the dev bridge on
 * 127.0.0.1 with a random token; the URL is printed. Either profile connects from the one UI.
 * Ctrl-C tears everything down (UI, helper, lab).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundleApp, bundleCli } from '../build/bundle.js';
import { buildRenderer, createBridgeServices, ROOT, startBridge, type Bridge } from '../electron/dev-bridge/index.js';
import type { AppServices } from '../electron/main/services/app-services.js';
import { startHelperProcess, type RunningHelperProcess } from '../test/integration/helper-harness.js';
import { companionInfo, down, up, type LabInfo, type LabInstance } from '../test/lab/index.js';

const PRIMARY = 'openvpn-udp';
const COMPANION = 'wireguard-split';
const PROFILE_NAMES = { [PRIMARY]: 'Lab OpenVPN', [COMPANION]: 'Lab WireGuard' } as const;

function electronBinary(): string | null {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

async function importProfile(services: AppServices, info: LabInfo, name: string): Promise<void> {
  const source = { kind: 'text' as const, text: readFileSync(info.profile, 'utf8'), fileName: basename(info.profile) };
  const prepared = await services.handlers['profiles:prepare-import']({ source });
  if (!prepared.ok) throw new Error(`${info.scenario}: ${prepared.error.message.en}`);
  const committed = await services.handlers['profiles:commit-import']({ importId: prepared.value.importId, names: [name] });
  if (!committed.ok) throw new Error(`${info.scenario}: ${committed.error.message.en}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root (lab servers, the helper): sudo npm run demo');
  console.log('Building the helper and the renderer…');
  await bundleCli();
  const electron = electronBinary();
  const rendererDir = electron ? null : await buildRenderer();
  if (electron) await bundleApp();

  let lab: LabInstance | null = null;
  let helper: RunningHelperProcess | null = null;
  let services: AppServices | null = null;
  let bridge: Bridge | null = null;
  let electronApp: ChildProcess | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-demo-'));
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      console.log('\nStopping…');
      electronApp?.kill('SIGTERM');
      if (services) await Promise.race([services.connections.disconnectAll(), new Promise((r) => setTimeout(r, 5000))]);
      await bridge?.close();
      services?.stop();
      await helper?.stop();
      if (lab) await down(lab.id);
      rmSync(dataDir, { recursive: true, force: true });
      console.log('Lab, helper and UI stopped.');
    })();
    return stopping;
  };
  // `on`, not `once`: the lab's own handler tears the instance down at once and then re-raises the
  // signal (ending the process) when no other listener is left, which would cut this stop short.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop().then(() => process.exit(0)));

  try {
    console.log(`Starting the lab: ${PRIMARY} with ${COMPANION} beside it…`);
    lab = await up(PRIMARY, { with: [COMPANION] });
    helper = await startHelperProcess(lab.clientNetns);
    services = await createBridgeServices({ dataDir, socketPath: helper.socketPath, version: 'demo' });
    for (const scenario of [PRIMARY, COMPANION] as const) await importProfile(services, companionInfo(lab, scenario), PROFILE_NAMES[scenario]);

    if (electron) {
      // The Electron app runs its own services on the same data folder (so it finds both profiles)
      // and the same helper; the demo's services only did the import.
      services.stop();
      services = null;
      electronApp = spawn(electron, [join(ROOT, 'out/main/main.js'), `--user-data-dir=${dataDir}`, '--no-sandbox'], {
        stdio: 'inherit',
        env: { ...process.env, TSUNAGU_SOCKET: helper.socketPath },
      });
      electronApp.on('exit', () => void stop().then(() => process.exit(0)));
      console.log(`\nElectron started on the helper in ${lab.clientNetns} (socket ${helper.socketPath}).`);
    } else if (rendererDir) {
      void services.start();
      bridge = await startBridge({ rendererDir, handlers: services.handlers, events: services.events });
      console.log('\nThe Electron binary is absent (npm run electron:install fetches it): the UI is served by the dev bridge.');
      console.log(`  Open: ${bridge.url}`);
    }
    console.log(`Profiles: "${PROFILE_NAMES[PRIMARY]}" (${PRIMARY}) and "${PROFILE_NAMES[COMPANION]}" (${COMPANION}); both route the protected network, so connect one at a time.`);
    console.log(`Try traffic while one is connected: sudo ip netns exec ${lab.clientNetns} ping ${lab.protectedHostIp}`);
    console.log('Ctrl-C stops everything.');
  } catch (e) {
    await stop();
    throw e;
  }
}

await main();
