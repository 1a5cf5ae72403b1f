/**
 * What an openvpn process does to the system's routing, learned from its own log (`log on`):
 *   - the options the server pushed, from "PUSH: Received control message: 'PUSH_REPLY,…'",
 *     logged before openvpn applies them (so routes can be checked before they exist);
 *   - every route and address it adds, from 2.6's netlink lines ("net_route_v4_add: 10.0.0.1/32
 *     via 192.168.1.1 dev eth0 table 0 metric -1"), logged just before the request; a failed add
 *     is followed by "… route add command failed" and is not openvpn's (nor ours) to remove.
 * Routes not bound to the tun device (the host route to the server via the physical gateway that
 * redirect-gateway adds, `net_gateway` routes) outlive a SIGKILLed openvpn: removeRoutes deletes
 * exactly the recorded ones that are still there, after openvpn is gone.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { normalizePrefix } from '../../../../shared/profiles/routes.js';
import { inNetns, run } from '../../exec.js';

const IFACE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/;

export const RouteRecordSchema = z
  .object({
    family: z.union([z.literal(4), z.literal(6)]),
    /** Canonical CIDR. */
    dst: z.string().refine((s) => normalizePrefix(s)?.cidr === s, 'not a canonical prefix'),
    /** Next hop, or null for a route on a device. */
    gateway: z.string().refine((s) => isIP(s) !== 0 && !s.includes('%'), 'not an address').nullable(),
    dev: z.string().regex(IFACE_RE).nullable(),
    /** 0 = main, as openvpn prints it. */
    table: z.number().int().nonnegative().max(0xffff_ffff),
  })
  .strict();

export type RouteRecord = z.infer<typeof RouteRecordSchema>;

export const AddressRecordSchema = z
  .object({
    family: z.union([z.literal(4), z.literal(6)]),
    /** address/bits as openvpn added it. */
    address: z.string().refine((s) => normalizePrefix(s) !== null, 'not an address'),
    dev: z.string().regex(IFACE_RE),
  })
  .strict();

export type AddressRecord = z.infer<typeof AddressRecordSchema>;

export type RouteLogEvent =
  | { kind: 'route-added'; route: RouteRecord }
  /** openvpn removed a route itself (on a restart or a clean exit). */
  | { kind: 'route-deleted'; route: RouteRecord }
  | { kind: 'address-added'; address: AddressRecord }
  /** The add logged just before failed (the route or address existed already, or was refused). */
  | { kind: 'add-failed' };

const ROUTE_RE = /^net_route_v([46])_(add|del): (\S+) via (\S+) dev (\S+) table (\d+) metric (-?\d+)$/;
const ADDR_ADD_RE = /^net_addr_v([46])_add: (\S+) dev (\S+)$/;
const ADD_FAILED_RE = /^(?:sitnl_send: rtnl: generic error|(?:NOTE|ERROR): Linux (?:IPv6 )?route add command failed)/;

/** What one openvpn log line says about routes or addresses it adds, or null. */
export function parseRouteLog(line: string): RouteLogEvent | null {
  if (ADD_FAILED_RE.test(line)) return { kind: 'add-failed' };
  const r = ROUTE_RE.exec(line);
  if (r) {
    const family = r[1] === '4' ? 4 : 6;
    const dst = normalizePrefix(r[3] ?? '');
    const via = r[4] ?? '';
    const gateway = via === '0.0.0.0' || via === '::' ? null : via;
    // "[NULL]": openvpn let the kernel choose the device.
    const dev = r[5] === '[NULL]' ? null : (r[5] ?? null);
    const ok = RouteRecordSchema.safeParse({ family, dst: dst?.cidr ?? '', gateway, dev, table: Number(r[6]) });
    if (!ok.success) return null;
    return r[2] === 'add' ? { kind: 'route-added', route: ok.data } : { kind: 'route-deleted', route: ok.data };
  }
  const a = ADDR_ADD_RE.exec(line);
  if (a) {
    const ok = AddressRecordSchema.safeParse({ family: a[1] === '4' ? 4 : 6, address: a[2], dev: a[3] });
    return ok.success ? { kind: 'address-added', address: ok.data } : null;
  }
  return null;
}

const PUSH_RE = /^PUSH: Received control message: 'PUSH_REPLY,(.*)'$/s;

/**
 * The options of one logged PUSH_REPLY, and whether more follow (`push-continuation 2`). The
 * server joins options with commas and openvpn has no escape for them, so a comma always
 * separates two options. Null for any other line.
 */
export function parsePushReply(line: string): { options: string[]; more: boolean } | null {
  const m = PUSH_RE.exec(line);
  if (!m) return null;
  const options = (m[1] ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  const more = options.some((o) => /^push-continuation\s+2$/.test(o));
  return { options: options.filter((o) => !o.startsWith('push-continuation')), more };
}

export const sameRoute = (a: RouteRecord, b: RouteRecord): boolean =>
  a.family === b.family && a.dst === b.dst && a.gateway === b.gateway && a.table === b.table;

export const sameAddress = (a: AddressRecord, b: AddressRecord): boolean => a.family === b.family && a.address === b.address && a.dev === b.dev;

const IpRouteSchema = z.array(z.object({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional(), table: z.string().optional() }).loose());

function tableNumber(t: string | undefined): number | null {
  if (t === undefined || t === 'main') return 0;
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** The routes of one family present now, as records (every table). */
async function presentRoutes(netns: string | null, family: 4 | 6): Promise<RouteRecord[] | null> {
  const [cmd, args] = inNetns(netns, 'ip', ['-j', `-${family}`, 'route', 'show', 'table', 'all']);
  const r = await run(cmd, args, { timeoutMs: 10_000 });
  if (r.code !== 0) return null;
  let rows: z.infer<typeof IpRouteSchema>;
  try {
    rows = IpRouteSchema.parse(JSON.parse(r.stdout));
  } catch {
    return null;
  }
  const out: RouteRecord[] = [];
  for (const row of rows) {
    const table = tableNumber(row.table);
    const dst = normalizePrefix(row.dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : row.dst);
    if (table === null || dst === null) continue;
    out.push({ family, dst: dst.cidr, gateway: row.gateway ?? null, dev: row.dev ?? null, table });
  }
  return out;
}

function routeArgs(r: RouteRecord): string[] {
  return [
    `-${r.family}`, 'route', 'delete', r.dst,
    ...(r.gateway !== null ? ['via', r.gateway] : []),
    ...(r.dev !== null ? ['dev', r.dev] : []),
    'table', r.table === 0 ? 'main' : String(r.table),
  ];
}

/**
 * Deletes the recorded routes and addresses that are still there (openvpn removes its own on a
 * clean exit; a killed one leaves those not on its device), except any that `keep` (another live
 * session's records) also names. Run only once the openvpn process is gone. Returns what stayed.
 */
export async function removeRoutes(
  netns: string | null,
  routes: readonly RouteRecord[],
  addresses: readonly AddressRecord[],
  keep: { routes: readonly RouteRecord[]; addresses: readonly AddressRecord[] } = { routes: [], addresses: [] },
): Promise<{ removed: string[]; left: string[] }> {
  const removed: string[] = [];
  const left: string[] = [];
  for (const family of [4, 6] as const) {
    const mine = routes.filter((r) => r.family === family && !keep.routes.some((k) => sameRoute(k, r)));
    if (mine.length === 0) continue;
    const present = await presentRoutes(netns, family);
    if (present === null) {
      left.push(...mine.map((r) => `route ${r.dst}`));
      continue;
    }
    for (const r of mine) {
      const there = present.find((p) => sameRoute(p, r));
      if (!there) continue;
      // The device from the table: openvpn may have let the kernel choose it ("dev [NULL]").
      const [cmd, args] = inNetns(netns, 'ip', routeArgs({ ...r, dev: there.dev }));
      const d = await run(cmd, args, { timeoutMs: 10_000 });
      (d.code === 0 ? removed : left).push(`route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
    }
  }
  for (const a of addresses) {
    if (keep.addresses.some((k) => sameAddress(k, a))) continue;
    const [cmd, args] = inNetns(netns, 'ip', [`-${a.family}`, 'address', 'delete', a.address, 'dev', a.dev]);
    // Fails (harmlessly) when the device went away with openvpn, which is the usual case.
    const d = await run(cmd, args, { timeoutMs: 10_000 });
    if (d.code === 0) removed.push(`address ${a.address} on ${a.dev}`);
  }
  return { removed, left };
}

/** Routes and addresses of the sessions alive in this helper, so that one teardown spares another's. */
const live = new Map<string, { routes: RouteRecord[]; addresses: AddressRecord[] }>();

export function claimRoutes(sessionId: string, routes: RouteRecord[], addresses: AddressRecord[]): void {
  live.set(sessionId, { routes, addresses });
}

export function releaseRoutes(sessionId: string): void {
  live.delete(sessionId);
}

export function othersClaims(sessionId: string): { routes: RouteRecord[]; addresses: AddressRecord[] } {
  const routes: RouteRecord[] = [];
  const addresses: AddressRecord[] = [];
  for (const [id, c] of live) {
    if (id === sessionId) continue;
    routes.push(...c.routes);
    addresses.push(...c.addresses);
  }
  return { routes, addresses };
}
