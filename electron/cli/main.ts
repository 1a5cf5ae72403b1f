/**
 * `tsunagu` — the command line. Runs in plain Node (no Electron). Commands: see USAGE.
 *
 * Start time is a feature (within 2× of a bare `node -e 0`, `npm run bench:ui`): this module
 * imports only constants, and each command loads its own code (the profile engine, zod, the
 * helper) when it runs, so `--help`, `--version` and `status` never load what they do not use.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { DEFAULT_GROUP, DEFAULT_RUN_DIR, DEFAULT_SOCKET } from '../helper/defaults.js';
import { DEFAULT_POLICY_DIR } from '../helper/policy/linux.js';
import { pickLanguage, type Lang } from './lang.js';

const USAGE = `Usage: tsunagu [--socket PATH] <command> [options]

Commands:
  inspect <file|folder|zip> [--json]   Check a VPN profile: summary, advisories, errors.
                                       Exit 0 when importable, 1 when refused or invalid.
  wg new --name N --address A --endpoint H:P --server-key K --allowed-ips CIDRS
         [--dns D] [--keepalive S] [--json] [--data-dir DIR]
                                       Create a WireGuard tunnel in the app's profiles (new
                                       key pair); print the [Peer] block for the server.
  genkey                               Print a new WireGuard private key.
  pubkey                               Read a private key on stdin, print its public key.
  genpsk                               Print a new WireGuard preshared key.
  helper [--group NAME] [--run-dir DIR] [--netns NS] [--no-standby] [--policy-dir DIR] [--state-dir DIR]
                                       Run the privileged helper in the foreground (root).
                                       Group default ${DEFAULT_GROUP}; run directory default
                                       ${DEFAULT_RUN_DIR} (root's alone; sessions/ inside, 0700);
                                       administrator policy and provisioned profiles from
                                       ${DEFAULT_POLICY_DIR} (policy.json, policy.d/, profiles/).
                                       --apply-firewall: only put the persisted kill switch
                                       (lockdown, a tunnel's block) in the kernel and exit (boot).
  connect <profile> | --provisioned ID [--json] [--timeout SECONDS] [--kill-switch]
                                       Connect through the helper; asks for credentials on the
                                       terminal; returns once connected (exit 1 on failure).
                                       --kill-switch: insist on it; a tunnel that carries only
                                       some networks is then refused, not connected unguarded.
  policy [--json]                      Show the effective administrator policy, where each
                                       value came from, and the provisioned profiles.
  disconnect <sessionId> | --all       End one session, or all of yours.
  status [--watch] [--json]            Show sessions (and follow their events with --watch)
                                       and what the kill switch does now.
  lockdown on|off [--allow-lan]        Always-on: block all traffic whenever no VPN is
                                       connected (kept across restarts); --allow-lan keeps
                                       the local network reachable.
  unblock                              Lift a block no VPN holds any more (its tunnel died,
                                       or the helper restarted).

Options:
  --version                            Print the version of Tsunagu.
  --socket PATH                        Helper socket (default ${DEFAULT_SOCKET}, or $TSUNAGU_SOCKET).
  --lang en|ja                         Language of messages (default: from LANG).
  -h, --help                           Show this help.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

function takeFlag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

function usageError(io: CliIo, text: string): number {
  io.stderr(`tsunagu ${text}. Run 'tsunagu --help' for usage.\n`);
  return 2;
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const args = [...argv];
  const langOption = takeOption(args, '--lang');
  if (langOption !== undefined && langOption !== 'en' && langOption !== 'ja') {
    io.stderr(`tsunagu: --lang must be 'en' or 'ja', not '${langOption}'.\n`);
    return 2;
  }
  const lang: Lang = langOption ?? pickLanguage(process.env);
  const socketPath = takeOption(args, '--socket') ?? process.env['TSUNAGU_SOCKET'] ?? DEFAULT_SOCKET;
  const helperCtx = { socketPath, lang, io };
  // The helper stack (drivers, sockets) loads only for the commands that need it.
  const helperCommands = () => import('./helper-commands.js');
  if (args.length === 0 || takeFlag(args, '--help') || takeFlag(args, '-h')) {
    io.stdout(USAGE);
    return args.length === 0 && argv.length === 0 ? 2 : 0;
  }
  if (args.length === 1 && args[0] === '--version') {
    io.stdout(`tsunagu ${packageJson.version}\n`);
    return 0;
  }
  const [command, ...rest] = args;
  switch (command) {
    case 'inspect': {
      const json = takeFlag(rest, '--json');
      const unknown = rest.find((a) => a.startsWith('-'));
      if (unknown || rest.length !== 1) {
        io.stderr(unknown ? `tsunagu inspect: unknown option '${unknown}'.\n` : 'tsunagu inspect: give exactly one file, folder or .zip to inspect.\n');
        return 2;
      }
      return (await import('./inspect.js')).runInspect(rest[0] as string, { json, lang }, io);
    }
    case 'wg':
      if (rest[0] !== 'new') return usageError(io, "wg: the subcommand is 'new'");
      return (await import('./wg-new.js')).runWgNew(rest.slice(1), { lang, io });
    case 'genkey':
      return (await import('./keys.js')).runGenkey(io);
    case 'genpsk':
      return (await import('./keys.js')).runGenpsk(io);
    case 'pubkey':
      return (await import('./keys.js')).runPubkey(io);
    case 'helper': {
      const group = takeOption(rest, '--group');
      const runDir = takeOption(rest, '--run-dir');
      const netns = takeOption(rest, '--netns');
      const standby = !takeFlag(rest, '--no-standby');
      const policyDir = takeOption(rest, '--policy-dir');
      const stateDir = takeOption(rest, '--state-dir');
      const applyFirewall = takeFlag(rest, '--apply-firewall');
      if (rest.length > 0) return usageError(io, `helper: unexpected '${rest[0]}'`);
      if (applyFirewall) return (await helperCommands()).runApplyFirewall({ netns, policyDir, stateDir }, helperCtx);
      return (await helperCommands()).runHelperCommand({ group, runDir, netns, standby, policyDir, stateDir }, helperCtx);
    }
    case 'connect': {
      const json = takeFlag(rest, '--json');
      const killSwitch = takeFlag(rest, '--kill-switch');
      const timeout = takeOption(rest, '--timeout');
      const timeoutSeconds = timeout === undefined ? undefined : Number(timeout);
      if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 5 && timeoutSeconds <= 600)) {
        return usageError(io, 'connect: --timeout takes whole seconds from 5 to 600');
      }
      const provisioned = takeOption(rest, '--provisioned');
      if (provisioned !== undefined) {
        if (rest.length !== 0 || provisioned === '') return usageError(io, 'connect: give a profile file or --provisioned ID, not both');
        return (await helperCommands()).runConnect({ provisioned }, { json, timeoutSeconds, killSwitch }, helperCtx);
      }
      if (rest.length !== 1 || rest[0]?.startsWith('-')) return usageError(io, 'connect: give exactly one profile file');
      return (await helperCommands()).runConnect({ path: rest[0] as string }, { json, timeoutSeconds, killSwitch }, helperCtx);
    }
    case 'disconnect': {
      const all = takeFlag(rest, '--all');
      if (all ? rest.length !== 0 : rest.length !== 1) return usageError(io, 'disconnect: give one session id, or --all');
      return (await helperCommands()).runDisconnect({ sessionId: rest[0], all }, helperCtx);
    }
    case 'policy': {
      const json = takeFlag(rest, '--json');
      if (rest.length > 0) return usageError(io, `policy: unexpected '${rest[0]}'`);
      return (await helperCommands()).runPolicy({ json }, helperCtx);
    }
    case 'status': {
      const json = takeFlag(rest, '--json');
      const watch = takeFlag(rest, '--watch');
      if (rest.length > 0) return usageError(io, `status: unexpected '${rest[0]}'`);
      return (await helperCommands()).runStatus({ json, watch }, helperCtx);
    }
    case 'lockdown': {
      const allowLan = takeFlag(rest, '--allow-lan');
      const [mode, ...extra] = rest;
      if ((mode !== 'on' && mode !== 'off') || extra.length > 0) return usageError(io, "lockdown: say 'on' or 'off'");
      return (await import('./firewall-commands.js')).runLockdown(mode === 'on', allowLan, helperCtx);
    }
    case 'unblock':
      if (rest.length > 0) return usageError(io, `unblock: unexpected '${rest[0]}'`);
      return (await import('./firewall-commands.js')).runUnblock(helperCtx);
    default:
      io.stderr(`tsunagu: unknown command '${command}'. Run 'tsunagu --help' for the list.\n`);
      return 2;
  }
}
