import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ProfileSummary } from '../../../shared/ipc/app-api.js';
import { formatBytes, formatDuration } from '../format.js';
import { useNow } from '../hooks.js';
import { useLanguage } from '../i18n.js';
import { connect, disconnect } from '../state/actions.js';
import { locksOf } from '../state/managed.js';
import { useConnections, useHelper, useManaged } from '../state/store.js';
import { emptyThroughput } from '../state/throughput.js';
import { isActive, tunnelView } from '../state/tunnel-view.js';
import { ErrorNote, TechnicalDetails } from './ErrorNote.js';
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
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<AppError | null>(null);

  const state = connection?.state;
  const active = isActive(state);
  const view = tunnelView(state, (connection?.prompt ?? null) !== null);
  const now = useNow(active);
  const helperReady = helper.status === 'available';

  // aria-disabled rather than disabled: a disabled button drops keyboard focus the moment it is pressed.
  const locked = useManaged((s) => locksOf(s).disconnect) && active;
  const disabled = pending || !helperReady || state?.status === 'disconnecting' || locked;

  async function toggle(): Promise<void> {
    if (disabled) return;
    setPending(true);
    setFailure(null);
    const result = active ? await disconnect(profile.id) : await connect(profile.id);
    setPending(false);
    if (!result.ok) setFailure(result.error);
  }

  const buttonLabel = active ? t('connection.disconnect') : t('connection.connect');
  const buttonName = active ? t('connection.disconnectNamed', { name: profile.name }) : t('connection.connectNamed', { name: profile.name });
  const connected = state?.status === 'connected' ? state : null;
  // Numbers and the graph once there is something to show: a tunnel on its way, or one that carried traffic.
  const hasTraffic = active || (connection !== undefined && connection.bytesIn + connection.bytesOut > 0);

  return (
    <section className={`connection tone-${view.tone}`} aria-labelledby="connection-heading">
      <h2 id="connection-heading" className="visually-hidden">{t('connection.title')}</h2>
      <div className="connection-head">
        <StateIcon tone={view.tone} className="large" />
        <div className="connection-state">
          <p className="state-words">{t(view.label, { attempt: view.attempt ?? 1 })}</p>
          {view.reason && <p className="state-reason">{t(view.reason)}</p>}
          {view.rawReason && <TechnicalDetails code={view.rawReason} label={t('connection.why')} />}
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
      {state?.status === 'error' && <ErrorNote error={state} alert={false} />}
      {failure && <ErrorNote error={failure} />}
      {hasTraffic ? (
        <>
          <dl className="stats">
            <div className="server">
              <dt>{t('connection.server')}</dt>
              <dd>{connected?.remote || profile.server}</dd>
            </div>
            <div>
              <dt>{t('connection.tunnelIp')}</dt>
              <dd>{connected?.localIp || t('common.none')}</dd>
            </div>
            <div>
              <dt>{t('connection.duration')}</dt>
              <dd className="numeric">{connected ? formatDuration(now - connected.since, lang) : t('common.none')}</dd>
            </div>
            <div>
              <dt>{t('connection.received')}</dt>
              <dd className="numeric">{formatBytes(connection?.bytesIn ?? 0, lang)}</dd>
            </div>
            <div>
              <dt>{t('connection.sent')}</dt>
              <dd className="numeric">{formatBytes(connection?.bytesOut ?? 0, lang)}</dd>
            </div>
          </dl>
          <ThroughputGraph buffer={graph} now={now} rateIn={active ? connection?.rateIn ?? 0 : 0} rateOut={active ? connection?.rateOut ?? 0 : 0} />
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
