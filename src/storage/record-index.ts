import { ProfileRecord, RecordFilter } from './profile-record';
import { ProfileStore } from './profile-store';

export interface RecordPage {
  records: ProfileRecord[];
  /** Give it back as `cursor` for the next page; absent on the last page. */
  next?: string;
}

/** Records read at once while a listing fills its cache. */
const PARALLEL_READS = 16;

/**
 * The history: every record in the store, newest first, filtered and paged. Each listing lists the records' keys
 * (one LIST per thousand in a bucket) and reads only those it has not seen in that version, so a second page
 * or a refresh costs the listing alone.
 */
export class RecordIndex {
  private readonly cache = new Map<string, { version: string; record: ProfileRecord | undefined }>();

  constructor(private readonly store: ProfileStore) {}

  async list(filter: RecordFilter, limit: number, cursor?: string): Promise<RecordPage> {
    const records = (await this.all()).filter((r) => matches(r, filter)).sort(newestFirst);
    // Newest first is descending cursor order: the page starts at the first record past the cursor's place,
    // whether or not that record is still there.
    const start = cursor === undefined ? 0 : afterCursor(records, cursor);
    const page = records.slice(start, start + limit);
    const more = start + limit < records.length;
    return { records: page, next: more && page.length > 0 ? cursorOf(page[page.length - 1]) : undefined };
  }

  private async all(): Promise<ProfileRecord[]> {
    const seen = new Set<string>();
    const toRead: Array<{ key: string; version: string }> = [];
    for await (const entry of this.store.recordKeys()) {
      seen.add(entry.key);
      if (this.cache.get(entry.key)?.version !== entry.version || entry.version === 'spooled') toRead.push(entry);
    }
    for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    for (let i = 0; i < toRead.length; i += PARALLEL_READS) {
      await Promise.all(
        toRead.slice(i, i + PARALLEL_READS).map(async ({ key, version }) => {
          this.cache.set(key, { version, record: await this.store.readRecordAt(key) });
        }),
      );
    }
    return [...this.cache.values()].map((entry) => entry.record).filter((r): r is ProfileRecord => r !== undefined);
  }
}

function afterCursor(records: ProfileRecord[], cursor: string): number {
  const at = records.findIndex((r) => cursorOf(r) < cursor);
  return at === -1 ? records.length : at;
}

/** Where a page ended: the last record's time and id (stable while newer records arrive). */
function cursorOf(record: ProfileRecord): string {
  return `${record.fetchedAt}_${record.id}`;
}

/** fetchedAt is always toISOString()'s: comparing the cursors as strings orders by time, then id. */
function newestFirst(a: ProfileRecord, b: ProfileRecord): number {
  const [x, y] = [cursorOf(a), cursorOf(b)];
  return x === y ? 0 : x < y ? 1 : -1;
}

function matches(record: ProfileRecord, filter: RecordFilter): boolean {
  if (filter.namespace !== undefined && record.pod?.namespace !== filter.namespace && record.diagnosis?.namespace !== filter.namespace) return false;
  if (filter.pod !== undefined && record.pod?.name !== filter.pod) return false;
  if (filter.diagnosis !== undefined && record.diagnosis?.name !== filter.diagnosis) return false;
  if (filter.type !== undefined && record.type.toLowerCase() !== filter.type.toLowerCase()) return false;
  const at = Date.parse(record.fetchedAt);
  if (filter.since && at < filter.since.getTime()) return false;
  if (filter.until && at >= filter.until.getTime()) return false;
  return true;
}
