/**
 * `tsunagu` — the command line. Runs in plain Node (no Electron). Commands:
 *   inspect <file|folder|zip> [--json] [--lang en|ja]
 *   genkey | pubkey | genpsk            (like wg's)
 */
import { runInspect } from './inspect.js';
import { runGenkey, runGenpsk, runPubkey } from './keys.js';
import { pickLanguage, type Lang } from './lang.js';

const USAGE = `Usage: tsunagu <command> [options]

Commands:
  inspect <file|folder|zip> [--json]   Check a VPN profile: summary, advisories, errors.
                                       Exit 0 when importable, 1 when refused or invalid.
  genkey                               Print a new WireGuard private key.
  pubkey                               Read a private key on stdin, print its public key.
  genpsk                               Print a new WireGuard preshared key.

Options:
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

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const args = [...argv];
  const langOption = takeOption(args, '--lang');
  if (langOption !== undefined && langOption !== 'en' && langOption !== 'ja') {
    io.stderr(`tsunagu: --lang must be 'en' or 'ja', not '${langOption}'.\n`);
    return 2;
  }
  const lang: Lang = langOption ?? pickLanguage(process.env);
  if (args.length === 0 || takeFlag(args, '--help') || takeFlag(args, '-h')) {
    io.stdout(USAGE);
    return args.length === 0 && argv.length === 0 ? 2 : 0;
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
      return runInspect(rest[0] as string, { json, lang }, io);
    }
    case 'genkey':
      return runGenkey(io);
    case 'genpsk':
      return runGenpsk(io);
    case 'pubkey':
      return runPubkey(io);
    default:
      io.stderr(`tsunagu: unknown command '${command}'. Run 'tsunagu --help' for the list.\n`);
      return 2;
  }
}
