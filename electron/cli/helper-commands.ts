/**
 * CLI commands that talk to the privileged helper: `helper` (run it), `connect`, `disconnect`,
 * `status`. They use the same client library as the app.
 */
import { HelperClient, HelperRequestError } from '../main/helper-client.js';
import { DEFAULT_GROUP, DEFAULT_RUN_DIR } from '../helper/defaults.js';
import { describeState } from '../helper/describe-state.js';
import { DEFAULT_POLICY_DIR } from '../helper/policy/linux.js';
import type { CredentialRequest, Credentials, HelperEvent, SessionInfo, TunnelState } from '../../shared/ipc/helper-protocol.js';
import type { ProfileKind } from '../../shared/profiles/kinds.js';
import { firewallLine, statusFirewallLine } from './firewall-commands.js';
import type { Lang } from './lang.js';
import type { CliIo } from './main.js';
import { Prompter } from './prompt.js';

export interface HelperCliContext {
  socketPath: string;
  lang: Lang;
  io: CliIo;
}

function explain(e: unknown, lang: Lang): string {
  if (e instanceof HelperRequestError) return e.error.message[lang] + (e.error.detail ? `\n${e.error.detail}` : '');
  if (e instanceof Error) return e.message;
  return String(e);
}

async function open(ctx: HelperCliContext): Promise<HelperClient> {
  return HelperClient.connect({ socketPath: ctx.socketPath, clientName: 'tsunagu-cli' });
}

export async function runHelperCommand(args: { group?: string; runDir?: string; netns?: string; standby?: boolean; policyDir?: string; stateDir?: string }, ctx: HelperCliContext): Promise<number> {
  let helper;
  try {
    // The helper itself loads only here: status, connect and disconnect start faster without it.
    const { startHelper } = await import('../helper/main.js');
    helper = await startHelper({
      socketPath: ctx.socketPath,
      group: args.group ?? DEFAULT_GROUP,
      runDir: args.runDir ?? DEFAULT_RUN_DIR,
      netns: args.netns ?? null,
      standby: args.standby ?? true,
      policyDir: args.policyDir ?? DEFAULT_POLICY_DIR,
      ...(args.stateDir ? { stateDir: args.stateDir } : {}),
    });
  } catch (e) {
    ctx.io.stderr(`tsunagu helper: ${explain(e, ctx.lang)}\n`);
    return 1;
  }
  const running = helper;
  // Last resort only: every client-facing path catches its own errors (server.ts). Should one
  // still escape, dropping every user's tunnel (and leaving their DNS pointing at a dead resolver)
  // is worse than logging it and serving on.
  process.on('uncaughtException', (e) => running.log.add('error', `uncaught exception (a bug; please report it): ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => running.log.add('error', `unhandled rejection (a bug; please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  await new Promise<void>((resolve) => {
    const stop = () => {
      void running.stop().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** `tsunagu helper --apply-firewall` (tsunagu-firewall.service at boot): exit 0 once the persisted rules are in the kernel. */
export async function runApplyFirewall(args: { netns?: string; policyDir?: string; stateDir?: string }, ctx: HelperCliContext): Promise<number> {
  const { applyPersistedFirewall } = await import('../helper/firewall/boot.js');
  const r = await applyPersistedFirewall({
    policyDir: args.policyDir ?? DEFAULT_POLICY_DIR,
    target: { netns: args.netns ?? null },
    ...(args.stateDir ? { stateDir: args.stateDir } : {}),
    mirror: (text) => ctx.io.stderr(`tsunagu helper: ${text}\n`),
  });
  if (r.ok) return 0;
  ctx.io.stderr(ctx.lang === 'ja' ? `tsunagu helper: キルスイッチのルールを設定できませんでした (${r.code}): ${r.detail}\n` : `tsunagu helper: the kill switch rules could not be set (${r.code}): ${r.detail}\n`);
  return 1;
}

async function askCredentials(request: CredentialRequest, prompter: Prompter, lang: Lang, io: CliIo): Promise<Credentials | null> {
  const ja = lang === 'ja';
  if (request.retry) io.stderr(ja ? '認証に失敗しました。もう一度入力してください。\n' : 'Authentication failed; please try again.\n');
  if (request.kind === 'passphrase') {
    const passphrase = await prompter.ask(ja ? '秘密鍵のパスフレーズ: ' : 'Private key passphrase: ', true);
    return passphrase === null ? null : { kind: 'passphrase', passphrase };
  }
  const needsPassword = request.kind === 'userpass' || request.needsPassword;
  const username = request.username ?? (needsPassword ? await prompter.ask(ja ? 'ユーザー名: ' : 'Username: ', false) : '');
  if (username === null) return null;
  const password = needsPassword ? await prompter.ask(ja ? 'パスワード: ' : 'Password: ', true) : '';
  if (password === null) return null;
  if (request.kind === 'userpass') return { kind: 'userpass', username, password };
  const response = await prompter.ask(`${request.text}: `, !request.echo);
  return response === null ? null : { kind: 'challenge', username, password, response };
}

/** What `connect` sends: a personal profile's canonical text, or a provisioned profile's id. */
type ConnectTarget = { profile: { kind: ProfileKind; text: string; name: string } } | { provisioned: string };

/** A profile file, checked here first so the user sees the engine's own explanation. */
async function personalTarget(path: string, io: CliIo, lang: Lang): Promise<ConnectTarget | null> {
  const [{ profileCandidates }, { inspectProfile }, { formatHuman }] = await Promise.all([import('../main/profile-sources.js'), import('../../shared/profiles/inspect.js'), import('./inspect.js')]);
  const source = profileCandidates(path);
  if (!source.ok) {
    io.stderr(`tsunagu connect: ${source.error.message[lang]}\n`);
    return null;
  }
  if (source.candidates.length !== 1) {
    io.stderr(`tsunagu connect: ${path} holds ${source.candidates.length} profiles; give the path of one.\n`);
    return null;
  }
  const candidate = source.candidates[0];
  if (!candidate) return null;
  const inspection = inspectProfile(candidate.bytes, { fileName: candidate.fileName, files: candidate.files });
  if (!inspection.ok || inspection.canonical === null) {
    io.stderr(formatHuman(inspection, candidate.displayName, lang));
    return null;
  }
  return { profile: { kind: inspection.kind, text: inspection.canonical, name: inspection.name } };
}

export async function runConnect(what: { path: string } | { provisioned: string }, options: { json: boolean; timeoutSeconds?: number; killSwitch?: boolean }, ctx: HelperCliContext): Promise<number> {
  const { io, lang } = ctx;
  const target = 'path' in what ? await personalTarget(what.path, io, lang) : { provisioned: what.provisioned };
  if (!target) return 1;
  const shownName = 'profile' in target ? target.profile.name : target.provisioned;

  let client: HelperClient;
  try {
    client = await open(ctx);
  } catch (e) {
    io.stderr(`tsunagu connect: ${explain(e, lang)}\n`);
    return 1;
  }
  const prompter = new Prompter();
  let sessionId: string | null = null;
  const early: HelperEvent[] = [];
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const report = (state: TunnelState & { status: 'connected' }, id: string) => {
    if (options.json) io.stdout(`${JSON.stringify({ sessionId: id, state: state.status, localIp: state.localIp })}\n`);
    else io.stdout(`${lang === 'ja' ? '接続しました' : 'Connected'}: ${shownName} — ${state.localIp} via ${state.remote} (session ${id})\n`);
  };
  const onEvent = (event: HelperEvent) => {
    if (event.event === 'log' || event.event === 'policy-changed' || event.event === 'firewall') return;
    if (sessionId === null) {
      early.push(event);
      return;
    }
    if (event.sessionId !== sessionId) return;
    if (event.event === 'state') {
      const s = event.state;
      if (!options.json) io.stderr(`  ${describeState(s)}\n`);
      if (s.status === 'connected') {
        report(s, sessionId);
        finish(0);
      } else if (s.status === 'error') {
        io.stderr(`tsunagu connect: ${s.message[lang]}${s.detail ? ` (${s.detail})` : ''}\n`);
        finish(1);
      } else if (s.status === 'disconnected') {
        io.stderr(`tsunagu connect: ${lang === 'ja' ? '切断されました' : 'disconnected'}: ${s.reason}\n`);
        finish(1);
      }
    } else if (event.event === 'credentials-required') {
      const id = sessionId;
      void askCredentials(event.request, prompter, lang, io).then(async (credentials) => {
        try {
          await client.request('credentials', { sessionId: id, credentials: credentials ?? { kind: 'cancel' } });
        } catch (e) {
          io.stderr(`tsunagu connect: ${explain(e, lang)}\n`);
        }
        if (!credentials) {
          await client.request('disconnect', { sessionId: id }).catch(() => undefined);
          io.stderr(`tsunagu connect: ${lang === 'ja' ? '入力がないため中止しました' : 'no credentials given; cancelled'}\n`);
          finish(1);
        }
      });
    }
  };
  client.onEvent(onEvent);
  client.onClosed(() => finish(1));
  try {
    await client.request('subscribe', {});
    const result = await client.request('connect', {
      ...target,
      // --kill-switch sends killSwitch: true; without it the helper's default (on for full tunnels).
      options: { ...(options.timeoutSeconds ? { connectTimeoutSeconds: options.timeoutSeconds } : {}), ...(options.killSwitch ? { killSwitch: true } : {}) },
    });
    sessionId = result.sessionId;
    for (const e of early.splice(0)) onEvent(e);
  } catch (e) {
    io.stderr(`tsunagu connect: ${explain(e, lang)}\n`);
    client.close();
    prompter.close();
    return 1;
  }
  const code = await done;
  prompter.close();
  client.close();
  return code;
}

export async function runDisconnect(target: { sessionId?: string; all: boolean }, ctx: HelperCliContext): Promise<number> {
  let client: HelperClient;
  try {
    client = await open(ctx);
  } catch (e) {
    ctx.io.stderr(`tsunagu disconnect: ${explain(e, ctx.lang)}\n`);
    return 1;
  }
  try {
    const result = await client.request('disconnect', target.all ? { all: true } : { sessionId: target.sessionId });
    ctx.io.stdout(result.sessionIds.length === 0 ? 'No sessions.\n' : `Disconnected: ${result.sessionIds.join(', ')}\n`);
    return 0;
  } catch (e) {
    ctx.io.stderr(`tsunagu disconnect: ${explain(e, ctx.lang)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatSession(s: SessionInfo): string {
  return `${s.id}  ${s.kind.padEnd(9)} ${s.name}  ${describeState(s.state)}  in ${formatBytes(s.bytesIn)} / out ${formatBytes(s.bytesOut)}  uid ${s.uid}${s.interfaceName ? `  ${s.interfaceName}` : ''}`;
}

export async function runStatus(options: { json: boolean; watch: boolean }, ctx: HelperCliContext): Promise<number> {
  const { io } = ctx;
  let client: HelperClient;
  try {
    client = await open(ctx);
  } catch (e) {
    if (options.json) io.stdout(`${JSON.stringify({ helper: 'unavailable', reason: explain(e, ctx.lang) })}\n`);
    else io.stderr(`tsunagu status: ${explain(e, ctx.lang)}\n`);
    return 1;
  }
  if (!options.watch) {
    const { sessions } = await client.request('list', {});
    const firewall = options.json ? null : await statusFirewallLine(client, ctx.lang);
    client.close();
    if (options.json) io.stdout(`${JSON.stringify(sessions, null, 2)}\n`);
    else io.stdout(`${sessions.length === 0 ? 'No VPN sessions.' : sessions.map(formatSession).join('\n')}\n${firewall ? `${firewall}\n` : ''}`);
    return 0;
  }
  client.onEvent((event) => {
    if (options.json) {
      io.stdout(`${JSON.stringify(event)}\n`);
      return;
    }
    if (event.event === 'state') io.stdout(`${new Date(event.at).toLocaleTimeString()} ${event.sessionId} ${describeState(event.state)}\n`);
    else if (event.event === 'stats') io.stdout(`${new Date(event.at).toLocaleTimeString()} ${event.sessionId} in ${formatBytes(event.bytesIn)} (${formatBytes(event.rateIn)}/s) out ${formatBytes(event.bytesOut)} (${formatBytes(event.rateOut)}/s)\n`);
    else if (event.event === 'session-removed') io.stdout(`${new Date(event.at).toLocaleTimeString()} ${event.sessionId} removed\n`);
    else if (event.event === 'firewall') io.stdout(`${new Date(event.at).toLocaleTimeString()} ${firewallLine(event.status, ctx.lang)}\n`);
  });
  const { sessions } = await client.request('subscribe', {});
  if (!options.json) io.stdout(sessions.length === 0 ? 'No VPN sessions; watching…\n' : `${sessions.map(formatSession).join('\n')}\n`);
  await new Promise<void>((resolve) => {
    client.onClosed(resolve);
    process.once('SIGINT', () => {
      client.close();
      resolve();
    });
  });
  return 0;
}


/** `tsunagu policy`: the effective administrator policy, and where each value came from. */
export async function runPolicy(options: { json: boolean }, ctx: HelperCliContext): Promise<number> {
  const { io, lang } = ctx;
  let client: HelperClient;
  try {
    client = await open(ctx);
  } catch (e) {
    io.stderr(`tsunagu policy: ${explain(e, lang)}\n`);
    return 1;
  }
  try {
    const [policy, { profiles }] = [await client.request('policy', {}), await client.request('provisioned', {})];
    if (options.json) {
      io.stdout(`${JSON.stringify({ ...policy, provisioned: profiles }, null, 2)}\n`);
      return 0;
    }
    // The policy table holds zod schemas: loaded here, not on every command's path.
    const [{ POLICY_NAMES }, { DEFAULT_SOURCE }] = await Promise.all([import('../../shared/policy/table.js'), import('../../shared/policy/resolve.js')]);
    const width = Math.max(...POLICY_NAMES.map((n) => n.length));
    const lines = POLICY_NAMES.map((n) => `${n.padEnd(width)}  ${JSON.stringify(policy.values[n])}  (${policy.sources[n] === DEFAULT_SOURCE ? (lang === 'ja' ? '既定値' : 'default') : policy.sources[n]})`);
    const heading = lang === 'ja' ? '配布プロファイル' : 'Provisioned profiles';
    const listed = profiles.map((p) => `  ${p.id}  ${p.kind}  ${p.name}  ${p.servers.join(', ')}${p.refused ? `  — ${p.refused[lang]}` : ''}`);
    io.stdout(`${lines.join('\n')}\n${heading}: ${profiles.length === 0 ? (lang === 'ja' ? 'なし' : 'none') : `\n${listed.join('\n')}`}\n`);
    return 0;
  } catch (e) {
    io.stderr(`tsunagu policy: ${explain(e, lang)}\n`);
    return 1;
  } finally {
    client.close();
  }
}
