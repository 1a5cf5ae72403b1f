/**
 * The WireGuard format: wg-quick configurations, recognised by an [Interface] or [Peer] section
 * header. The canonical text is written by the helper's writer and read back with wg-quick's own
 * rules before it is accepted, so what wg-quick runs is exactly the profile that was checked.
 */
import type { InspectResult } from '../inspect.js';
import { refusedResult, type FormatInput, type ProfileFormat } from '../format.js';
import { chooseProfileName, fileStem } from '../name.js';
import { DEFAULT_POLICY, checkWireGuardHooks, serverConfigError } from '../policy.js';
import { wireGuardRoutes } from '../routes.js';
import { wireGuardAdvisories } from './advisories.js';
import { looksLikeWireGuard, parseWireGuard } from './parser.js';
import { checkCanonicalWireGuard } from './wgquick-reader.js';
import { writeWireGuard } from './writer.js';

/** A configuration that only listens (ListenPort, no peer with an Endpoint) is a server's. */
function wireGuardServerLine(text: string): { line: number; text: string } | null {
  const lines = text.split(/\r?\n/);
  const listen = lines.findIndex((l) => /^\s*listenport\s*=/i.test(l));
  if (listen < 0 || lines.some((l) => /^\s*endpoint\s*=/i.test(l))) return null;
  return { line: listen + 1, text: (lines[listen] ?? '').trim() };
}

function inspectWireGuard({ text, textError, options, fallbackName }: FormatInput): InspectResult {
  // wg-quick files must be text.
  if (textError) return refusedResult('wireguard', fallbackName, [textError]);
  const server = wireGuardServerLine(text);
  if (server) return refusedResult('wireguard', fallbackName, [serverConfigError('wireguard', server.line, server.text)]);
  const parsed = parseWireGuard(text);
  if (!parsed.ok) return refusedResult('wireguard', fallbackName, parsed.errors);
  const policyErrors = checkWireGuardHooks(parsed.located.hooks, options.policy ?? DEFAULT_POLICY);
  if (policyErrors.length > 0) return refusedResult('wireguard', fallbackName, policyErrors);
  const items = wireGuardAdvisories(parsed.profile, parsed.located);
  let profile = parsed.profile;
  for (const item of items) if (item.apply) profile = item.apply(profile);
  const name = chooseProfileName([options.fileName && fileStem(options.fileName)], fallbackName);
  const advisories = items.map((i) => i.advisory);
  const canonical = writeWireGuard(profile);
  // wg-quick must read the text it will run as exactly the profile that was checked.
  const mismatch = checkCanonicalWireGuard(canonical, profile);
  if (mismatch) return refusedResult('wireguard', name, [mismatch], advisories);
  return { ok: true, kind: 'wireguard', name, layer: 'L3', advisories, errors: [], profile, canonical, inlinedFiles: [] };
}

export const wireGuardFormat: ProfileFormat<'wireguard'> = {
  kind: 'wireguard',
  detect: (text) => looksLikeWireGuard(text),
  inspect: inspectWireGuard,
  routes: wireGuardRoutes,
  servers: (profile) => [...new Set(profile.peers.flatMap((p) => (p.endpoint ? [p.endpoint.host] : [])))],
};
