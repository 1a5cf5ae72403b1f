import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ProfileDetails as Details, ProfileSummary } from '../../../shared/ipc/app-api.js';
import { request } from '../api.js';
import { formatDateTime } from '../format.js';
import { useCopy } from '../hooks.js';
import { blockImeEnter } from '../ime.js';
import { useLanguage } from '../i18n.js';
import { deleteProfile, exportProfile, renameProfile } from '../state/actions.js';
import { locksOf, profileActions } from '../state/managed.js';
import { useConnections, useManaged, useProfiles } from '../state/store.js';
import { isActive } from '../state/tunnel-view.js';
import { KindBadge } from './Badges.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';
import { AdvisoryList, InfoRows } from './ProfileFindings.js';

type Loaded = { id: string; details: Details } | { id: string; error: AppError };

/** Fetches the plain-words details; again when the profile changes on disk or the language changes (main writes the rows in it). */
function useProfileDetails(id: string): Loaded | null {
  const revision = useProfiles((s) => s.revision);
  const lang = useLanguage();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    let live = true;
    void request((a) => a.profilesGet({ id })).then((r) => {
      if (live) setLoaded(r.ok ? { id, details: r.value } : { id, error: r.error });
    });
    return () => {
      live = false;
    };
  }, [id, revision, lang]);
  return loaded?.id === id ? loaded : null;
}

export function ProfileHeader({ profile }: { profile: ProfileSummary }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  return (
    <header className="pane-header">
      <h1 className="profile-title">{profile.name}</h1>
      <p className="profile-meta">
        <KindBadge kind={profile.kind} layer={profile.layer} ikeVersion={profile.ikeVersion} />
        <span>{t(profile.created ? 'details.createdOn' : 'details.importedOn', { date: formatDateTime(profile.importedAt, lang) })}</span>
      </p>
    </header>
  );
}

export function ProfileDetails({ profile }: { profile: ProfileSummary }) {
  const { t } = useTranslation();
  const loaded = useProfileDetails(profile.id);
  if (!loaded) return <p className="loading">{t('common.loading')}</p>;
  if ('error' in loaded) return <ErrorNote error={loaded.error} title={t('details.loadFailed')} />;
  const { details } = loaded;
  // The public key has its own card with a copy button: not a second time among the rows.
  const rows = details.publicKey ? details.rows.filter(([, value]) => value !== details.publicKey) : details.rows;
  return (
    <>
      <section className="card" aria-labelledby="settings-rows-heading">
        <h2 id="settings-rows-heading">{t('details.settingsTitle')}</h2>
        <InfoRows rows={rows} />
        <LayerRow layer={profile.layer} />
      </section>
      {details.advisories.length > 0 && (
        <section className="card" aria-labelledby="advisories-heading">
          <h2 id="advisories-heading">{t('findings.advisoriesTitle')}</h2>
          <AdvisoryList advisories={details.advisories} />
        </section>
      )}
      {details.publicKey && <PublicKey publicKey={details.publicKey} />}
      <section className="card" aria-labelledby="config-heading">
        <h2 id="config-heading">{t('details.configTitle')}</h2>
        <details className="config">
          <summary>{t('details.showConfig')}</summary>
          <pre className="config-text" tabIndex={0}>{details.maskedConfig}</pre>
        </details>
      </section>
      <ProfileActions profile={profile} />
    </>
  );
}

/**
 * Routed or bridged, in plain words and always on screen (the badge's tooltip reached neither the
 * keyboard nor a screen reader): a term and its definition, read in order like the rows above.
 */
function LayerRow({ layer }: { layer: ProfileSummary['layer'] }) {
  const { t } = useTranslation();
  return (
    <dl className="info-rows layer-row">
      <div>
        <dt>{t('details.layerLabel')}</dt>
        <dd>
          <strong>{layer === 'L2' ? t('details.layerL2') : t('details.layerL3')}</strong>
          <span className="layer-explained">{layer === 'L2' ? t('details.layerL2Explained') : t('details.layerL3Explained')}</span>
        </dd>
      </div>
    </dl>
  );
}

function PublicKey({ publicKey }: { publicKey: string }) {
  const { t } = useTranslation();
  const { copied, copy } = useCopy();
  return (
    <section className="card" aria-labelledby="public-key-heading">
      <h2 id="public-key-heading">{t('details.publicKeyTitle')}</h2>
      <p className="hint">{t('details.publicKeyHelp')}</p>
      <div className="key-row">
        <code className="public-key">{publicKey}</code>
        <button type="button" className="button" onClick={() => void copy(publicKey)}>
          {copied ? t('common.copied') : t('details.copyPublicKey')}
        </button>
      </div>
    </section>
  );
}

type Mode = 'idle' | 'rename' | 'delete';

function ProfileActions({ profile }: { profile: ProfileSummary }) {
  const { t } = useTranslation();
  const active = useConnections((s) => isActive(s.byProfile[profile.id]?.state));
  const personalLocked = useManaged((s) => locksOf(s).personalProfiles);
  const allowed = profileActions(profile, personalLocked);
  const managed = !allowed.rename || !allowed.delete || !allowed.export;
  const [mode, setMode] = useState<Mode>('idle');
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  async function exportToFile(): Promise<void> {
    if (exporting) return;
    setExporting(true);
    setError(null);
    setExported(null);
    // Main shows the save dialog; a null path means the user cancelled it.
    const result = await exportProfile(profile.id);
    setExporting(false);
    if (!result.ok) setError(result.error);
    else if (result.value.path !== null) setExported(result.value.path);
  }

  return (
    <section className="card" aria-labelledby="actions-heading">
      <h2 id="actions-heading">{t('details.actionsTitle')}</h2>
      {mode === 'rename' ? (
        <RenameForm profile={profile} onDone={() => setMode('idle')} />
      ) : (
        <div className="button-row">
          <button type="button" className="button" disabled={!allowed.rename} aria-describedby={allowed.rename ? undefined : 'managed-hint'} onClick={() => setMode('rename')}>{t('details.rename')}</button>
          <button type="button" className="button" disabled={!allowed.export} aria-describedby={allowed.export ? undefined : 'managed-hint'} aria-disabled={exporting} onClick={() => void exportToFile()}>{t('details.export')}</button>
          <button type="button" className="button danger" disabled={active || !allowed.delete} aria-describedby={!allowed.delete ? 'managed-hint' : active ? 'delete-hint' : undefined} onClick={() => setMode('delete')}>
            {t('details.delete')}
          </button>
        </div>
      )}
      {managed && <p id="managed-hint" className="hint managed">🔒 {profile.provisioned ? t('common.provisioned') : t('common.managed')}</p>}
      {mode !== 'rename' && active && allowed.delete && <p id="delete-hint" className="hint">{t('details.deleteWhileActive')}</p>}
      {exported && <p className="success-text" role="status">{t('details.exported', { path: exported })}</p>}
      {error && <ErrorNote error={error} title={t('details.exportFailed')} />}
      {mode === 'delete' && <DeleteDialog profile={profile} onDone={() => setMode('idle')} />}
    </section>
  );
}

function RenameForm({ profile, onDone }: { profile: ProfileSummary; onDone: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(profile.name);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const trimmed = name.trim();

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!trimmed || busy) return;
    if (trimmed === profile.name) return onDone();
    setBusy(true);
    const result = await renameProfile(profile.id, trimmed);
    setBusy(false);
    if (result.ok) onDone();
    else setError(result.error);
  }

  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} onKeyDown={(e) => {
      blockImeEnter(e);
      if (e.key === 'Escape') onDone();
    }}>
      <label className="field">
        <span>{t('details.newName')}</span>
        <input value={name} maxLength={64} required autoFocus onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="button-row">
        <button type="submit" className="button primary" disabled={!trimmed} aria-disabled={busy}>{t('common.save')}</button>
        <button type="button" className="button" onClick={onDone}>{t('common.cancel')}</button>
      </div>
      {error && <ErrorNote error={error} />}
    </form>
  );
}

function DeleteDialog({ profile, onDone }: { profile: ProfileSummary; onDone: () => void }) {
  const { t } = useTranslation();
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  async function confirm(): Promise<void> {
    if (busy) return;
    setBusy(true);
    const result = await deleteProfile(profile.id, profile.name);
    setBusy(false);
    if (result.ok) onDone();
    else setError(result.error);
  }

  return (
    <Dialog labelledBy="delete-title" describedBy="delete-body" onDismiss={onDone} className="small">
      <h2 id="delete-title">{t('details.deleteTitle', { name: profile.name })}</h2>
      <p id="delete-body">{t('details.deleteBody')}</p>
      {error && <ErrorNote error={error} />}
      <div className="button-row end">
        <button type="button" className="button" data-initial-focus onClick={onDone}>{t('common.cancel')}</button>
        <button type="button" className="button danger" aria-disabled={busy} onClick={() => void confirm()}>{t('details.deleteConfirm')}</button>
      </div>
    </Dialog>
  );
}
