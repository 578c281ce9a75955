// A ViewerProfile of a profile's bytes, as the processor leaves one: decoded, and stored in a file of its own (the
// viewer serves its download from there). Tests of the viewer's API and of the offline file open viewers on these.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze } from '../../src/report/analyze';
import { ViewerProfile } from '../../src/viewer/viewer-profile';

export function viewerProfileOf(bytes: Buffer, type: ViewerProfile['type'], extra: Partial<ViewerProfile> = {}): ViewerProfile {
  const profilePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'viewer-profile-')), `default.test.${type}.prof`);
  fs.writeFileSync(profilePath, bytes);
  return {
    type,
    analysis: analyze(bytes, { maxBytes: 1 << 30 }),
    downloadName: `default.test.${type}.prof`,
    source: 'http://127.0.0.1:1/debug/pprof/x',
    context: {},
    fetchedAt: new Date(),
    profilePath,
    ...extra,
  };
}
