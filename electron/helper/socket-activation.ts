/**
 * systemd socket activation (sd_listen_fds(3)): when tsunagu-helper.socket starts the helper,
 * systemd has already bound /run/tsunagu/helper.sock with the unit's group and mode and passes the
 * listening socket as file descriptor 3, announced by LISTEN_PID (our pid: the variables are for
 * us, not inherited from a parent), LISTEN_FDS (how many, from fd 3 on) and LISTEN_FDNAMES.
 * `systemd-socket-activate` does the same where systemd is not PID 1.
 */
import type { Server } from 'node:net';
import { HelperFailure } from './failure.js';

/** sd_listen_fds(3): passed descriptors start here. */
export const LISTEN_FDS_START = 3;

export type Environment = Record<string, string | undefined>;

export type SocketActivation =
  | { kind: 'none' }
  | { kind: 'passed'; fd: number; name: string | null }
  | { kind: 'invalid'; failure: HelperFailure };

const ACTIVATION_VARIABLES = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

function invalid(code: string, en: string, ja: string): SocketActivation {
  return { kind: 'invalid', failure: new HelperFailure(code, { en, ja }) };
}

/**
 * What the environment says about a socket passed to process `pid`. The helper serves exactly one
 * socket, so more than one passed descriptor is a unit misconfiguration, said as such.
 */
export function parseSocketActivation(env: Environment, pid: number): SocketActivation {
  const pidText = env['LISTEN_PID'];
  const countText = env['LISTEN_FDS'];
  if (pidText === undefined && countText === undefined) return { kind: 'none' };
  if (pidText === undefined || !/^[1-9]\d*$/.test(pidText)) {
    return invalid('socket-activation-pid', `LISTEN_FDS is set but LISTEN_PID is not a process id (${JSON.stringify(pidText ?? null)})`, `LISTEN_FDS が設定されていますが LISTEN_PID がプロセス ID ではありません(${JSON.stringify(pidText ?? null)})`);
  }
  // Meant for another process (a parent that was activated and did not clear them): not ours.
  if (Number(pidText) !== pid) return { kind: 'none' };
  if (countText === undefined || !/^\d+$/.test(countText)) {
    return invalid('socket-activation-count', `LISTEN_FDS is not a number of descriptors (${JSON.stringify(countText ?? null)})`, `LISTEN_FDS がディスクリプタ数ではありません(${JSON.stringify(countText ?? null)})`);
  }
  const count = Number(countText);
  if (count === 0) return { kind: 'none' };
  if (count !== 1) {
    return invalid('socket-activation-count', `systemd passed ${count} sockets; the helper listens on exactly one (one ListenStream= in tsunagu-helper.socket)`, `systemd から ${count} 個のソケットが渡されました。ヘルパーが待ち受けるのは 1 個だけです(tsunagu-helper.socket の ListenStream= は 1 行)`);
  }
  const name = env['LISTEN_FDNAMES']?.split(':')[0];
  return { kind: 'passed', fd: LISTEN_FDS_START, name: name === undefined || name === '' ? null : name };
}

/**
 * Reads and removes the activation variables (sd_listen_fds with unset_environment): the tunnels'
 * programs the helper starts must not take fd 3 for theirs.
 */
export function takeSocketActivation(env: Environment = process.env, pid: number = process.pid): SocketActivation {
  const activation = parseSocketActivation(env, pid);
  for (const name of ACTIVATION_VARIABLES) Reflect.deleteProperty(env, name);
  return activation;
}

/** Serves `server` on an already listening descriptor (the socket systemd bound). */
export function listenOnDescriptor(server: Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
