import { useTranslation } from 'react-i18next';
import type { ProfileSummary } from '../../../shared/ipc/app-api.js';
import type { TunnelState } from '../../../shared/ipc/helper-protocol.js';
import { tunnelView } from '../state/tunnel-view.js';
import { StateIcon } from './StateIcon.js';

/** "OpenVPN L3", "OpenVPN L2", "WireGuard", "IKEv2" (WireGuard and IKEv2 are always layer 3, so no layer is shown). */
export function KindBadge({ kind, layer }: Pick<ProfileSummary, 'kind' | 'layer'>) {
  const { t } = useTranslation();
  const key = kind === 'openvpn' ? (layer === 'L2' ? 'openvpnL2' : 'openvpnL3') : kind;
  const label = t(`kind.${key}`);
  const description = t(`kind.${key}Help`);
  return (
    <span className={`badge kind-${kind} layer-${layer}`} title={description}>
      {label}
    </span>
  );
}

/** A tunnel state as icon + words; `compact` for list rows. */
export function StateBadge({ state, waitingForUser = false, compact = false }: { state: TunnelState | undefined; waitingForUser?: boolean; compact?: boolean }) {
  const { t } = useTranslation();
  const view = tunnelView(state, waitingForUser);
  return (
    <span className={`state-badge tone-${view.tone}${compact ? ' compact' : ''}`}>
      <StateIcon tone={view.tone} />
      <span className="state-text">{t(view.label, { attempt: view.attempt ?? 1 })}</span>
    </span>
  );
}
