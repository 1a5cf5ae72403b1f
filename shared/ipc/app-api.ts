/**
 * The renderer↔main contract: every channel declared once, with the schema main validates the
 * renderer's arguments against. Both sides derive their types from this table.
 */
import { z } from 'zod';

const localized = z.object({ en: z.string(), ja: z.string() });

export const inspectRequest = z.object({
  fileName: z.string().max(255),
  bytes: z.instanceof(Uint8Array).refine((b) => b.length <= 1024 * 1024, 'profile larger than 1 MiB'),
});

export const inspectReply = z.object({
  ok: z.boolean(),
  kind: z.enum(['openvpn', 'wireguard']),
  name: z.string(),
  layer: z.enum(['L3', 'L2']),
  summary: z.array(z.tuple([z.string(), z.string()])),
  advisories: z.array(z.object({
    code: z.string(), severity: z.enum(['warning', 'info']), line: z.number(), message: localized, explanation: localized,
    fix: z.object({ automatic: z.boolean(), description: localized }).optional(),
  })),
  errors: z.array(z.object({ code: z.string(), line: z.number(), column: z.number(), message: localized, text: z.string() })),
});

export const APP_CHANNELS = {
  'profiles:inspect': { request: inspectRequest, reply: inspectReply },
} as const;

export type AppChannel = keyof typeof APP_CHANNELS;
export type AppRequest<C extends AppChannel> = z.infer<(typeof APP_CHANNELS)[C]['request']>;
export type AppReply<C extends AppChannel> = z.infer<(typeof APP_CHANNELS)[C]['reply']>;

/** The one object the preload exposes as `window.tsunagu`. */
export interface TsunaguApi {
  inspectProfile(request: AppRequest<'profiles:inspect'>): Promise<AppReply<'profiles:inspect'>>;
}
