/** `genkey`, `pubkey`, `genpsk`: the same input and output as wg(8)'s commands. */
import { generatePresharedKey, generatePrivateKey, publicKeyFromPrivate } from '../../shared/profiles/wireguard/keys.js';
import type { CliIo } from './main.js';

export function runGenkey(io: CliIo): number {
  io.stdout(`${generatePrivateKey()}\n`);
  return 0;
}

export function runGenpsk(io: CliIo): number {
  io.stdout(`${generatePresharedKey()}\n`);
  return 0;
}

export async function runPubkey(io: CliIo): Promise<number> {
  // wg reads the key from stdin and tolerates surrounding whitespace (a trailing newline).
  const input = (await io.readStdin()).trim();
  const result = publicKeyFromPrivate(input);
  if (!result.ok) {
    io.stderr('pubkey: Key is not the correct length or format\n');
    return 1;
  }
  io.stdout(`${result.key}\n`);
  return 0;
}
