/**
 * Provisioned profiles: the files IT places in `<policy dir>/profiles/`, `<id><ending>` with any
 * ending of a kind's own format in the registry (shared/profiles/kinds.ts: .ovpn, .conf,
 * .swanctl.conf, .sswan, .mobileconfig; the longest ending wins, and a `.conf` is whichever kind
 * the formats' detection finds). A NetworkManager keyfile is translated at import only, so it is
 * reported and ignored here. The helper reads them itself, with the same root-only checks as the
 * policy, and offers every caller their summary only: the text, keys and passwords stay in the
 * helper. Each is inspected with the policy in force (AllowScripts), again on every policy change.
 */
import { join } from 'node:path';
import type { ProvisionedSummary } from '../../../shared/ipc/helper-protocol.js';
import { provisionedId } from '../../../shared/ipc/helper-protocol.js';
import type { ProfileKind } from '../../../shared/profiles/diagnostics.js';
import { detectKind, type InspectResult } from '../../../shared/profiles/inspect.js';
import { PROFILE_FILE_ENDINGS, profileFileEnding, type ProfileFileEnding } from '../../../shared/profiles/kinds.js';
import { serverHosts } from '../../../shared/policy/servers-of.js';
import type { MessageLogger } from '../log.js';
import { directoryProblem, readAdminFile } from './files.js';
import { PROFILES_DIR, sortedEntries } from './linux.js';

/** The endings of the kinds' own formats, for the message about a translated one. */
const OWN_FORMAT_ENDINGS = PROFILE_FILE_ENDINGS.filter((e) => !e.translated).map((e) => e.ending).join(', ');

/** The kind of a file with this ending: the only one it can hold, else what detection finds among them. */
function kindOf(ending: ProfileFileEnding, text: string, fileName: string): ProfileKind {
  const kinds: readonly ProfileKind[] = ending.kinds;
  if (kinds.length === 1 && kinds[0]) return kinds[0];
  const detected = detectKind(text, fileName);
  return kinds.includes(detected) ? detected : (kinds[0] ?? detected);
}

export interface ProvisionedProfile {
  id: string;
  kind: ProfileKind;
  /** The file name, which the engine reads the profile's name from. */
  name: string;
  text: string;
}

export type ProvisionedInspector = (profile: ProvisionedProfile) => Promise<InspectResult>;

/** The profiles in `<policyDir>/profiles`, and one line per file that was not accepted. */
export function readProvisioned(policyDir: string): { profiles: ProvisionedProfile[]; problems: string[] } {
  const dir = join(policyDir, PROFILES_DIR);
  const dirProblem = directoryProblem(dir);
  if (dirProblem === 'missing') return { profiles: [], problems: [] };
  if (dirProblem) return { profiles: [], problems: [`${dir}: ${dirProblem}; no provisioned profiles`] };
  const profiles: ProvisionedProfile[] = [];
  const problems: string[] = [];
  for (const entry of sortedEntries(dir)) {
    const ending = profileFileEnding(entry);
    if (!ending) continue;
    const path = join(dir, entry);
    if (ending.translated) {
      problems.push(`${path}: a ${ending.ending} file is translated at import only; provision the VPN's own format (${OWN_FORMAT_ENDINGS}); ignored`);
      continue;
    }
    const id = entry.slice(0, entry.length - ending.ending.length);
    if (!provisionedId.safeParse(id).success) {
      problems.push(`${path}: the name '${id}' is not a profile id (lowercase letters, digits, '.', '_', '-', up to 64); ignored`);
      continue;
    }
    if (profiles.some((p) => p.id === id)) {
      problems.push(`${path}: another file already provides the id '${id}'; ignored`);
      continue;
    }
    const read = readAdminFile(path);
    if (!read.ok) {
      problems.push(`${path}: ${read.problem}; ignored`);
      continue;
    }
    profiles.push({ id, kind: kindOf(ending, read.text, entry), name: entry, text: read.text });
  }
  return { profiles, problems };
}

export class ProvisionedProfiles {
  private profiles = new Map<string, { profile: ProvisionedProfile; summary: ProvisionedSummary }>();
  /** Loads are serialised: the last one started is the one whose result stays. */
  private generation = 0;

  constructor(
    private readonly policyDir: string,
    private readonly inspect: ProvisionedInspector,
    private readonly log: MessageLogger,
  ) {}

  get(id: string): ProvisionedProfile | undefined {
    return this.profiles.get(id)?.profile;
  }

  summaries(): ProvisionedSummary[] {
    return [...this.profiles.values()].map((p) => ({ ...p.summary, servers: [...p.summary.servers] }));
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    const { profiles, problems } = readProvisioned(this.policyDir);
    for (const problem of problems) this.log('warn', 'provisioned.problem', { problem });
    const next = new Map<string, { profile: ProvisionedProfile; summary: ProvisionedSummary }>();
    for (const profile of profiles) {
      let summary: ProvisionedSummary;
      try {
        const result = await this.inspect(profile);
        const first = result.errors[0];
        summary = {
          id: profile.id,
          name: result.name,
          kind: result.kind,
          layer: result.layer,
          servers: result.profile ? serverHosts(result.profile) : [],
          refused: result.ok ? null : (first?.message ?? { en: 'The helper refuses this profile.', ja: 'ヘルパーはこのプロファイルを拒否します。' }),
        };
        if (!result.ok) {
          if (first) this.log('warn', 'provisioned.refused', { id: profile.id, code: first.code, line: first.line });
          else this.log('warn', 'provisioned.refusedNoReason', { id: profile.id });
        }
      } catch (e) {
        this.log('warn', 'provisioned.notInspected', { id: profile.id, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      next.set(profile.id, { profile, summary });
    }
    if (generation !== this.generation) return;
    const before = [...this.profiles.keys()].join(',');
    this.profiles = next;
    if (before !== [...next.keys()].join(',')) {
      if (next.size > 0) this.log('info', 'provisioned.list', { ids: [...next.keys()].join(', ') });
      else this.log('info', 'provisioned.none', {});
    }
  }
}
