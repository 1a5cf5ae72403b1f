/**
 * Leak protection (issue 14) on screen: the line each connection shows about traffic outside the
 * tunnel, and the window-wide "Blocked — the VPN is down" / always-on notice with its way out (the
 * settings are on the Settings page).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../shared/ipc/app-api.js';
import { connect, liftBlock } from '../state/actions.js';
import { firewallNotice, protectionLine, protectionTone } from '../state/firewall.js';
import { locksOf } from '../state/managed.js';
import { useConnections, useFirewall, useHelper, useManaged, useProfiles, useUi } from '../state/store.js';
import { ErrorNote } from './ErrorNote.js';
import { StateIcon } from './StateIcon.js';
import '../styles/leak-protection.css';

/** One short line under a connection's state: blocked, blocked until it is up, or leaving unprotected. */
export function ProtectionLine({ profileId }: { profileId: string }) {
  const { t } = useTranslation();
  const view = useConnections((s) => s.byProfile[profileId]);
  const firewall = useFirewall((s) => s);
  // With the helper away nobody can say (its rules may still hold).
  const helperReady = useHelper((s) => s.status.status === 'available');
  const line = helperReady ? protectionLine(view, firewall) : null;
  if (!line) return null;
  const tone = protectionTone(line);
  return (
    <p className={`protection-line tone-${tone}`}>
      <StateIcon tone={tone === 'warning' ? 'error' : tone} />
      {line.key === 'protection.line.split' ? t(line.key, { count: line.networks }) : t(line.key)}
    </p>
  );
}

/** Everything is blocked and no tunnel is coming up: say so, and offer the ways out. */
export function FirewallBanner() {
  const { t } = useTranslation();
  const firewall = useFirewall((s) => s.firewall);
  const byProfile = useConnections((s) => s.byProfile);
  const profiles = useProfiles((s) => s.list);
  const selectedId = useUi((s) => s.selectedId);
  const disconnectLocked = useManaged((s) => locksOf(s).disconnect);
  const helperReady = useHelper((s) => s.status.status === 'available');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<AppError | null>(null);
  const notice = firewallNotice(firewall, byProfile);
  if (!notice) return null;

  if (notice.kind === 'lockdown') {
    return (
      <div className="banner firewall-notice lockdown" role="status">
        <StateIcon tone="idle" />
        <div>
          <p className="firewall-title">{t('protection.lockdownTitle')}</p>
          <p>{notice.byPolicy ? t('protection.lockdownBodyManaged') : t('protection.lockdownBody')}</p>
        </div>
      </div>
    );
  }

  // "Connect again" reconnects the tunnel that held the block, else the profile on screen.
  const againId = [notice.profileId, selectedId].find((id) => id !== null && profiles.some((p) => p.id === id)) ?? null;
  const name = profiles.find((p) => p.id === notice.profileId)?.name;
  async function run(action: () => Promise<{ ok: true } | { ok: false; error: AppError }>): Promise<void> {
    if (busy || !helperReady) return;
    setBusy(true);
    setFailure(null);
    const result = await action();
    setBusy(false);
    if (!result.ok) setFailure(result.error);
  }
  return (
    <div className="banner firewall-notice blocked" role="alert">
      <StateIcon tone="error" />
      <div>
        <p className="firewall-title">{t('protection.blockedTitle')}</p>
        <p>{name ? t('protection.blockedBodyNamed', { name }) : t('protection.blockedBody')}</p>
        <div className="button-row">
          {againId && (
            <button type="button" className="button primary" aria-disabled={busy || !helperReady} onClick={() => void run(() => connect(againId))}>
              {t('protection.connectAgain')}
            </button>
          )}
          <button type="button" className="button" aria-disabled={busy || !helperReady || disconnectLocked} onClick={() => void (disconnectLocked ? undefined : run(liftBlock))}>
            {t('protection.disconnect')}
          </button>
          {disconnectLocked && <span className="hint managed">🔒 {t('common.managed')}</span>}
        </div>
        {failure && <ErrorNote error={failure} />}
      </div>
    </div>
  );
}
