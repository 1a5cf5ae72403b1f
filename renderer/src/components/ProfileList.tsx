import { memo, useDeferredValue, useMemo, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProfileSummary } from '../../../shared/ipc/app-api.js';
import { formatNumber } from '../format.js';
import { useVirtualRows } from '../hooks.js';
import { useLanguage } from '../i18n.js';
import { selectProfile } from '../state/actions.js';
import { filterProfiles } from '../state/profiles.js';
import { useConnections, useProfiles, useUi } from '../state/store.js';
import { KindBadge, StateBadge } from './Badges.js';

const ROW_HEIGHT = 64;

/**
 * Searchable, virtualized list of profiles. It is one listbox: arrow keys, Page Up/Down, Home and
 * End move the selection (which the details pane follows), and only the rows in view exist in the DOM.
 */
export function ProfileList() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const list = useProfiles((s) => s.list);
  const search = useUi((s) => s.search);
  const selectedId = useUi((s) => s.selectedId);
  const deferredSearch = useDeferredValue(search);
  const collator = useMemo(() => new Intl.Collator(lang, { numeric: true }), [lang]);
  const shown = useMemo(() => filterProfiles(list, deferredSearch, collator), [list, deferredSearch, collator]);
  const { element, ref, onScroll, scrollToIndex, range, totalHeight } = useVirtualRows(shown.length, ROW_HEIGHT);
  const activeIndex = shown.findIndex((p) => p.id === selectedId);

  function move(event: KeyboardEvent<HTMLDivElement>): void {
    const page = Math.max(1, Math.floor((element?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const last = shown.length - 1;
    const from = activeIndex < 0 ? -1 : activeIndex;
    const to = ({
      ArrowDown: Math.min(last, from + 1),
      ArrowUp: Math.max(0, from - 1),
      PageDown: Math.min(last, from + page),
      PageUp: Math.max(0, from - page),
      Home: 0,
      End: last,
    } as Record<string, number | undefined>)[event.key];
    if (to === undefined || last < 0) return;
    event.preventDefault();
    const target = shown[to];
    if (!target) return;
    selectProfile(target.id);
    scrollToIndex(to);
  }

  const count = list.length === shown.length
    ? t('profiles.count', { count: list.length, formatted: formatNumber(list.length, lang) })
    : t('profiles.countFiltered', { count: list.length, shown: formatNumber(shown.length, lang), total: formatNumber(list.length, lang) });

  return (
    <section className="profile-list" aria-labelledby="profiles-heading">
      <div className="list-toolbar">
        <h1 id="profiles-heading" className="visually-hidden">{t('profiles.title')}</h1>
        <input
          type="search"
          className="search"
          placeholder={t('profiles.searchPlaceholder')}
          aria-label={t('profiles.searchLabel')}
          aria-controls="profile-listbox"
          value={search}
          onChange={(e) => useUi.setState({ search: e.target.value })}
        />
        <p className="list-count">{count}</p>
      </div>
      {shown.length === 0 ? (
        <p className="list-empty">{t('profiles.noMatch', { query: search })}</p>
      ) : (
        <div
          id="profile-listbox"
          ref={ref}
          className="listbox"
          role="listbox"
          tabIndex={0}
          aria-label={t('profiles.title')}
          aria-activedescendant={activeIndex >= 0 && activeIndex >= range.start && activeIndex < range.end ? `profile-${selectedId}` : undefined}
          onScroll={onScroll}
          onKeyDown={move}
        >
          <div className="virtual-sizer" style={{ height: totalHeight }}>
            {shown.slice(range.start, range.end).map((profile, i) => (
              <ProfileRow key={profile.id} profile={profile} index={range.start + i} total={shown.length} selected={profile.id === selectedId} />
            ))}
          </div>
        </div>
      )}
    </section>
  );
}

const ProfileRow = memo(function ProfileRow({ profile, index, total, selected }: { profile: ProfileSummary; index: number; total: number; selected: boolean }) {
  const state = useConnections((s) => s.byProfile[profile.id]?.state);
  const waiting = useConnections((s) => (s.byProfile[profile.id]?.prompt ?? null) !== null);
  const { t } = useTranslation();
  return (
    <div
      id={`profile-${profile.id}`}
      role="option"
      aria-selected={selected}
      aria-setsize={total}
      aria-posinset={index + 1}
      className={`profile-row${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      onClick={() => selectProfile(profile.id)}
    >
      <span className="row-line">
        <span className="row-name">{profile.name}</span>
        {profile.provisioned && <span className="row-lock" role="img" aria-label={t('common.provisioned')} title={t('common.provisioned')}>🔒</span>}
        <KindBadge kind={profile.kind} layer={profile.layer} ikeVersion={profile.ikeVersion} />
      </span>
      <span className="row-line">
        <StateBadge state={state} waitingForUser={waiting} compact />
        <span className="row-server">{profile.server}</span>
      </span>
    </div>
  );
});
