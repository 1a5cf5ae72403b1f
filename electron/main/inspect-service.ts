/** Import preview: the renderer sends the bytes of a dropped file, main runs the profile engine. */
import type { AppReply, AppRequest } from '../../shared/ipc/app-api.js';
import { inspectProfile } from '../../shared/profiles/inspect.js';
import { summarizeProfile } from '../../shared/profiles/summary.js';

export function inspectForRenderer(request: AppRequest<'profiles:inspect'>, lang: 'en' | 'ja'): AppReply<'profiles:inspect'> {
  const result = inspectProfile(request.bytes, { fileName: request.fileName });
  return {
    ok: result.ok,
    kind: result.kind,
    name: result.name,
    layer: result.layer,
    summary: result.profile ? summarizeProfile(result.profile, result.name, lang) : [],
    advisories: result.advisories,
    errors: result.errors,
  };
}
