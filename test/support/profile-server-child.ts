// The child of profile-server-process.ts: serves the files given as JSON in argv[2], sends its URL to the parent.
import { serveProfiles } from '../../bench/profile-server';

void serveProfiles(JSON.parse(process.argv[2])).then((source) => process.send?.(source.url));
