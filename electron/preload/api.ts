/**
 * The `window.tsunagu` object: one method per channel, event subscription, and the path of a
 * dropped file. Plain module (Electron is passed in), so a test can check it without Electron.
 *
 * It imports only types from the contract: the schemas (and zod, ~750 KB bundled) stay out of the
 * preload, which every page load evaluates. The compiler checks the channel list is complete, and
 * a unit test checks it and the method names against APP_CHANNELS and methodName().
 */
import type { AppChannel, AppEvent, ChannelMethodName, TsunaguApi } from '../../shared/ipc/app-api.js';

/** APP_EVENT_CHANNEL of app-api.ts (checked by a test). */
export const EVENT_CHANNEL = 'app:event';

export const PRELOAD_CHANNELS = [
  'app:info',
  'profiles:list',
  'profiles:get',
  'profiles:prepare-import',
  'profiles:commit-import',
  'profiles:cancel-import',
  'profiles:rename',
  'profiles:delete',
  'profiles:new-wireguard',
  'profiles:export',
  'managed:get',
  'connections:list',
  'connections:connect',
  'connections:disconnect',
  'connections:credentials',
  'settings:get',
  'settings:set',
  'log:recent',
  'log:export',
  'firewall:get',
  'firewall:set-lockdown',
  'firewall:lift-block',
] as const satisfies readonly AppChannel[];

// Fails to compile when a channel is added to APP_CHANNELS but not above.
type Missing = Exclude<AppChannel, (typeof PRELOAD_CHANNELS)[number]>;
const everyChannelListed: [Missing] extends [never] ? true : Missing = true;
void everyChannelListed;

/** `profiles:prepare-import` → `profilesPrepareImport` (the same rule as methodName() in app-api). */
export function preloadMethodName<C extends AppChannel>(channel: C): ChannelMethodName<C> {
  return channel.replace(/[:-]([a-z])/g, (_m, c: string) => c.toUpperCase()) as ChannelMethodName<C>;
}

export interface PreloadBridge {
  invoke(channel: AppChannel, request: unknown): Promise<unknown>;
  subscribe(listener: (event: AppEvent) => void): () => void;
  pathForFile(file: object): string;
}

export function createApi(bridge: PreloadBridge): TsunaguApi {
  const methods = Object.fromEntries(PRELOAD_CHANNELS.map((channel) => [preloadMethodName(channel), (request: unknown) => bridge.invoke(channel, request ?? {})]));
  // Built from the channel list TsunaguApi is derived from; the compiler cannot follow
  // Object.fromEntries, so a unit test checks every method exists and reaches its channel.
  return { ...methods, onEvent: (listener: (event: AppEvent) => void) => bridge.subscribe(listener), pathForFile: (file: object) => bridge.pathForFile(file) } as unknown as TsunaguApi;
}
