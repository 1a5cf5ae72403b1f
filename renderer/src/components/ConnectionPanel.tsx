import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ProfileSummary } from '../../../shared/ipc/app-api.js';
import { formatBytes, formatDuration } from '../format.js';
import { useNow } from '../hooks.js';
import { useLanguage } from '../i18n.js';
import { connect, disconnect, disconnectThenConnect } from '../state/actions.js';
import { locksOf } from '../state/managed.js';
import { useConnections, useHelper, useManaged, useProfiles } from '../state/store.js';
import { currentRates, emptyThroughput } from '../state/throughput.js';
import { handshakeAge, isActive, routeConflictOf, serverShown, tunnelAddresses, tunnelView, type RouteConflict } from '../state/tunnel-view.js';
import { ErrorNote, TechnicalDetails } from './ErrorNote.js';
import { ProtectionLine } from './LeakProtection.js';
import { StateIcon } from './StateIcon.js';
import { ThroughputGraph } from './ThroughputGraph.js';

const EMPTY_GRAPH = emptyThroughput();

/** The tunnel of one profile: state in words and shape, the one Connect/Disconnect button, numbers and the graph. */
export function ConnectionPanel({ profile }: { profile: ProfileSummary }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const connection = useConnections((s) => s.byProfile[profile.id]);
  const graph = useConnections((s) => s.throughput[profile.id]) ?? EMPTY_GRAPH;
  const helper = useHelper((s) => s.status);
  // Which request is on its way: a Disconnect pressed while "Starting…" must not wait for the connect.
  const [pending, setPending] = useState<'connect' | 'disconnect' | null>(null);
  const [failure, setFailure] = useState<AppError | null>(null);

  const state = connection?.state;
  const active = isActive(state);
  const view = tunnelView(state, (connection?.prompt ?? null) !== null);
  const now = useNow(active);
  const helperReady = helper.status === 'available';

  // aria-disabled rather than disabled: a disabled button drops keyboard focus the moment it is pressed.
  const locked = useManaged((s) => locksOf(s).disconnect) && active;
  const action = active ? 'disconnect' : 'connect';
  const disabled = pending === action || !helperReady || state?.status === 'disconnecting' || locked;

  async function toggle(): Promise<void> {
    if (disabled) return;
    setPending(action);
    setFailure(null);
    const result = action === 'disconnect' ? await disconnect(profile.id) : await connect(profile.id);
    setPending((p) => (p === action ? null : p));
    if (!result.ok) setFailure(result.error);
  }

  // The other profiles that are up: a route conflict names one of them by its session.
  const others = useOtherActive(profile.id);
  const stateError = state?.status === 'error' ? state : null;
  const conflict = routeConflictOf(stateError ?? failure, others);
  // A refused connect is also the tunnel's error state: say it once.
  const failureShown = failure !== null && !(stateError !== null && stateError.code === failure.code) && conflict === null;
  const rates = currentRates(graph, now);

  const buttonLabel = active ? t('connection.disconnect') : t('connection.connect');
  const buttonName = active ? t('connection.disconnectNamed', { name: profile.name }) : t('connection.connectNamed', { name: profile.name });
  const connected = state?.status === 'connected' ? state : null;
  const addresses = tunnelAddresses(connected?.localIp, connected?.localIp6);
  // WireGuard only (the helper reports no handshake for other kinds): "12 s ago".
  const handshake = connection?.lastHandshakeAt === undefined ? null : handshakeAge(connection.lastHandshakeAt, now);
  const handshakeText =
    handshake === null ? null
    : handshake.kind === 'never' ? t('connection.handshakeNever')
    : handshake.kind === 'seconds' ? t('connection.handshakeSecondsAgo', { seconds: handshake.seconds })
    : t('connection.handshakeAgo', { time: formatDuration(handshake.ms, lang) });
  // Numbers and the graph once there is something to show: a tunnel on its way, or one that carried traffic.
  const hasTraffic = active || (connection !== undefined && connection.bytesIn + connection.bytesOut > 0);

  return (
    <section className={`connection tone-${view.tone}`} aria-labelledby="connection-heading">
      <h2 id="connection-heading" className="visually-hidden">{t('connection.title')}</h2>
      <div className="connection-head">
        <StateIcon tone={view.tone} className="large" />
        <div className="connection-state">
          <p className="state-words">{t(view.label, { attempt: view.attempt ?? 1 })}</p>
          {view.message ? <p className="state-reason">{view.message[lang]}</p> : view.reason && <p className="state-reason">{t(view.reason)}</p>}
          {view.since !== undefined && <p className="state-elapsed numeric">{t('connection.reconnectingFor', { time: formatDuration(now - view.since, lang) })}</p>}
          {view.rawReason && <TechnicalDetails code={view.rawReason} label={t('connection.why')} />}
          <ProtectionLine profileId={profile.id} />
        </div>
        <button
          type="button"
          className={`button big ${active ? 'secondary' : 'primary'}`}
          aria-label={buttonName}
          aria-disabled={disabled}
          onClick={() => void toggle()}
        >
          {buttonLabel}
        </button>
      </div>
      {!helperReady && <p className="hint">{t('connection.helperNotReady')}</p>}
      {locked && <p className="hint managed">🔒 {t('common.managed')}</p>}
      {conflict ? <ConflictNote conflict={conflict} profileId={profile.id} onFailure={setFailure} /> : stateError && <ErrorNote error={stateError} alert={false} />}
      {failureShown && <ErrorNote error={failure} />}
      {hasTraffic ? (
        <>
          <dl className="stats">
            <div className="server">
              <dt>{t('connection.server')}</dt>
              <dd>{serverShown(profile.server, connected?.remote)}</dd>
            </div>
            <div>
              <dt>{t('connection.tunnelIp', { count: addresses.length })}</dt>
              <dd>{addresses.length > 0 ? addresses.map((a) => <span key={a} className="address">{a}</span>) : t('common.none')}</dd>
            </div>
            <div>
              <dt>{t('connection.duration')}</dt>
              <dd className="numeric">{connected ? formatDuration(now - connected.since, lang) : t('common.none')}</dd>
            </div>
            {handshakeText !== null && (
              <div>
                <dt>{t('connection.lastHandshake')}</dt>
                <dd className="numeric">{handshakeText}</dd>
              </div>
            )}
            <div>
              <dt>{t('connection.received')}</dt>
              <dd className="numeric">{formatBytes(connection?.bytesIn ?? 0, lang)}</dd>
            </div>
            <div>
              <dt>{t('connection.sent')}</dt>
              <dd className="numeric">{formatBytes(connection?.bytesOut ?? 0, lang)}</dd>
            </div>
          </dl>
          <ThroughputGraph buffer={graph} now={now} rateIn={active ? rates.rateIn : 0} rateOut={active ? rates.rateOut : 0} />
        </>
      ) : (
        <dl className="stats">
          <div className="server">
            <dt>{t('connection.server')}</dt>
            <dd>{profile.server}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

/** Profiles (other than `id`) whose tunnel is up or on its way, with their names and session ids. */
function useOtherActive(id: string): Array<{ id: string; name: string; sessionId: string | null }> {
  const byProfile = useConnections((s) => s.byProfile);
  const list = useProfiles((s) => s.list);
  return list.filter((p) => p.id !== id && isActive(byProfile[p.id]?.state)).map((p) => ({ id: p.id, name: p.name, sessionId: byProfile[p.id]?.sessionId ?? null }));
}

/** The helper refused this profile because another tunnel routes the same network; offer to swap. */
function ConflictNote({ conflict, profileId, onFailure }: { conflict: RouteConflict; profileId: string; onFailure: (e: AppError | null) => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  async function swap(other: string): Promise<void> {
    if (busy) return;
    setBusy(true);
    onFailure(null);
    const result = await disconnectThenConnect(other, profileId);
    setBusy(false);
    if (!result.ok) onFailure(result.error);
  }
  return (
    <div className="error-note conflict" role="alert">
      <StateIcon tone="error" />
      <div>
        <p className="error-title">{t('conflict.title')}</p>
        <p>{t('conflict.body', { other: conflict.other.name, network: conflict.network })}</p>
        <div className="button-row">
          <button type="button" className="button primary" aria-disabled={busy} onClick={() => void swap(conflict.other.id)}>
            {t('conflict.action')}
          </button>
        </div>
        <TechnicalDetails code={conflict.code} detail={conflict.detail} label={t('common.technicalDetails')} />
      </div>
    </div>
  );
}
