/** The zustand stores; their state changes only through the pure reducers beside them. */
import { create } from 'zustand';
import { initialConnections, type ConnectionsState } from './connections.js';
import { initialFirewall, type FirewallState } from './firewall.js';
import { initialHelper, type HelperState } from './helper.js';
import { initialLogs, type LogsState } from './logs.js';
import { initialManaged, type ManagedStore } from './managed.js';
import { initialProfiles, type ProfilesState } from './profiles.js';
import { initialSettings, type SettingsState } from './settings.js';
import { initialUi, type UiState } from './ui.js';

export const useProfiles = create<ProfilesState>()(() => initialProfiles);
export const useConnections = create<ConnectionsState>()(() => initialConnections);
export const useHelper = create<HelperState>()(() => initialHelper);
export const useSettings = create<SettingsState>()(() => initialSettings);
export const useLogs = create<LogsState>()(() => initialLogs);
export const useUi = create<UiState>()(() => initialUi);
export const useManaged = create<ManagedStore>()(() => initialManaged);
export const useFirewall = create<FirewallState>()(() => initialFirewall);
