import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, Settings } from '../../../shared/ipc/app-api.js';
import { useLanguage } from '../i18n.js';
import { changeSettings, setLockdown } from '../state/actions.js';
import { filterProfiles } from '../state/profiles.js';
import { locksOf } from '../state/managed.js';
import { useFirewall, useHelper, useManaged, useProfiles, useSettings } from '../state/store.js';
import { ErrorNote } from './ErrorNote.js';

/** Each control saves on change; main answers with the settings now in force. */
export function SettingsPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const settings = useSettings((s) => s.settings);
  const info = useSettings((s) => s.info);
  const profiles = useProfiles((s) => s.list);
  const loginLocked = useManaged((s) => locksOf(s).startAtLogin);
  const [error, setError] = useState<AppError | null>(null);
  // A provisioned profile starts with the app through the administrator's AutoConnectProfile only.
  const sorted = filterProfiles(profiles.filter((p) => !p.provisioned), '', new Intl.Collator(lang, { numeric: true }));

  async function set(patch: Partial<Settings>): Promise<void> {
    const result = await changeSettings(patch);
    setError(result.ok ? null : result.error);
  }

  if (!settings) return <p className="page-message">{t('settings.unavailable')}</p>;
  const systemName = info?.systemLanguage === 'ja' ? '日本語' : 'English';

  return (
    <div className="settings-page">
      <h1 className="page-title">{t('settings.title')}</h1>
      {error && <ErrorNote error={error} title={t('settings.saveFailed')} />}
      <section className="card" aria-labelledby="startup-heading">
        <h2 id="startup-heading">{t('settings.startupTitle')}</h2>
        <Toggle id="launch-at-login" checked={settings.launchAtLogin} locked={loginLocked} help={loginLocked ? t('common.managed') : t('settings.launchAtLoginHelp')} onChange={(v) => void set({ launchAtLogin: v })}>
          {t('settings.launchAtLogin')}
        </Toggle>
        <div className="field">
          <label htmlFor="connect-on-launch">{t('settings.connectOnLaunch')}</label>
          <select id="connect-on-launch" value={settings.connectOnLaunch ?? ''} aria-describedby="connect-on-launch-help" onChange={(e) => void set({ connectOnLaunch: e.target.value || null })}>
            <option value="">{t('settings.connectOnLaunchNone')}</option>
            {sorted.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
          <p id="connect-on-launch-help" className="hint">{t('settings.connectOnLaunchHelp')}</p>
        </div>
      </section>
      <LeakProtectionSettings settings={settings} onChange={(patch) => void set(patch)} />
      <section className="card" aria-labelledby="notifications-heading">
        <h2 id="notifications-heading">{t('settings.notificationsTitle')}</h2>
        <Toggle id="notifications" checked={settings.notifications} help={t('settings.notificationsHelp')} onChange={(v) => void set({ notifications: v })}>
          {t('settings.notifications')}
        </Toggle>
      </section>
      <section className="card" aria-labelledby="language-heading">
        <h2 id="language-heading">{t('settings.languageTitle')}</h2>
        <fieldset className="radio-group">
          <legend className="visually-hidden">{t('settings.languageTitle')}</legend>
          {(['system', 'en', 'ja'] as const).map((value) => (
            <label key={value} className="radio">
              <input type="radio" name="language" value={value} checked={settings.language === value} onChange={() => void set({ language: value })} />
              {value === 'system' ? t('settings.languageSystem', { language: systemName }) : value === 'en' ? <span lang="en">English</span> : <span lang="ja">日本語</span>}
            </label>
          ))}
        </fieldset>
      </section>
      {info && (
        <section className="card" aria-labelledby="about-heading">
          <h2 id="about-heading">{t('settings.aboutTitle')}</h2>
          <dl className="info-rows">
            <div><dt>{t('settings.version')}</dt><dd>{info.version}</dd></div>
            <div><dt>{t('settings.platform')}</dt><dd>{info.platform}</dd></div>
            <div><dt>{t('settings.keychain')}</dt><dd>{t(`settings.keychainState.${info.keychain}`)}</dd></div>
          </dl>
        </section>
      )}
    </div>
  );
}

/** Kill switch, LAN, always-on (issue 14); each locked with the reason when a policy forces it. */
function LeakProtectionSettings({ settings, onChange }: { settings: Settings; onChange: (patch: Partial<Settings>) => void }) {
  const { t } = useTranslation();
  const firewall = useFirewall((s) => s.firewall);
  const known = useFirewall((s) => s.known);
  const helperReady = useHelper((s) => s.status.status === 'available');
  const [error, setError] = useState<AppError | null>(null);
  // A helper without a firewall (before issue 14): the settings stay, but nothing enforces them.
  const unsupported = helperReady && known && firewall === null;
  const killSwitchForced = firewall?.killSwitchForced ?? false;
  const lockdownForced = firewall?.lockdown.byPolicy ?? false;

  async function changeLockdown(enabled: boolean): Promise<void> {
    const result = await setLockdown(enabled);
    setError(result.ok ? null : result.error);
  }

  return (
    <section className="card" aria-labelledby="protection-heading">
      <h2 id="protection-heading">{t('protection.settingsTitle')}</h2>
      {error && <ErrorNote error={error} title={t('settings.saveFailed')} />}
      {unsupported && <p className="hint">{t('protection.unsupported')}</p>}
      <Toggle id="kill-switch" checked={killSwitchForced || settings.killSwitch} locked={killSwitchForced} help={killSwitchForced ? t('protection.forcedKillSwitch') : t('protection.killSwitchHelp')} onChange={(v) => onChange({ killSwitch: v })}>
        {t('protection.killSwitch')}
      </Toggle>
      <Toggle id="allow-lan" checked={settings.allowLan} help={t('protection.allowLanHelp')} onChange={(v) => onChange({ allowLan: v })}>
        {t('protection.allowLan')}
      </Toggle>
      <Toggle
        id="always-on"
        checked={firewall?.lockdown.enabled ?? false}
        locked={lockdownForced || firewall === null}
        help={lockdownForced ? t('protection.forcedAlwaysOn') : t('protection.alwaysOnHelp')}
        onChange={(v) => void changeLockdown(v)}
      >
        {t('protection.alwaysOn')}
      </Toggle>
    </section>
  );
}

function Toggle({ id, checked, locked = false, help, onChange, children }: { id: string; checked: boolean; locked?: boolean; help: string; onChange: (value: boolean) => void; children: ReactNode }) {
  return (
    <div className="check-field">
      <label htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} disabled={locked} aria-describedby={`${id}-help`} onChange={(e) => onChange(e.target.checked)} />
        {children}
      </label>
      <p id={`${id}-help`} className="hint">{help}</p>
    </div>
  );
}
