/**
 * Serving the services over IPC, one table-driven loop for every channel: the sender is checked,
 * the request is validated with the channel's schema, the handler's reply is checked against the
 * reply schema, and failures of any kind come back as AppError values, never as exceptions.
 */
import { APP_CHANNELS, type AppChannel, type AppHandlers, type AppRequest, type AppResult } from '../../../shared/ipc/app-api.js';
import { appError, errorDetail } from './errors.js';

/** The part of ipcMain this needs (a browser test bridge can provide the same). */
export interface IpcLike<E> {
  handle(channel: string, listener: (event: E, request: unknown) => Promise<unknown>): void;
}

export const APP_CHANNEL_NAMES = Object.keys(APP_CHANNELS) as AppChannel[];

/** Runs one request through validation and its handler. */
export async function dispatch<C extends AppChannel>(handlers: AppHandlers, channel: C, raw: unknown): Promise<AppResult<unknown>> {
  const spec = APP_CHANNELS[channel];
  const parsed = spec.request.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: appError('bad-request', 'errBadRequest', {}, `${channel}: ${issue ? `${issue.path.join('.') || 'request'}: ${issue.message}` : 'invalid'}`) };
  }
  try {
    // The schema of channel C has just accepted the data, so it has C's request type.
    const handler = handlers[channel] as (request: AppRequest<C>) => Promise<AppResult<unknown>>;
    const result = await handler(parsed.data as AppRequest<C>);
    if (!result.ok) return result;
    const reply = spec.reply.safeParse(result.value);
    if (!reply.success) return { ok: false, error: appError('internal', 'errInternal', {}, `${channel} produced an invalid reply: ${reply.error.issues[0]?.message ?? ''}`) };
    return { ok: true, value: reply.data };
  } catch (e) {
    return { ok: false, error: appError('internal', 'errInternal', {}, errorDetail(e)) };
  }
}

export function registerHandlers<E>(ipc: IpcLike<E>, handlers: AppHandlers, isTrustedSender: (event: E) => boolean): void {
  for (const channel of APP_CHANNEL_NAMES) {
    ipc.handle(channel, async (event, request) => {
      if (!isTrustedSender(event)) return { ok: false, error: appError('untrusted-sender', 'errUntrustedSender', {}, channel) };
      return dispatch(handlers, channel, request);
    });
  }
}
