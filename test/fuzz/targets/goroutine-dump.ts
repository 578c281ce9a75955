// The parser of goroutine?debug=2 (src/report/goroutines.ts), which promises a result for any text: a
// truncated or garbled dump yields the goroutines it holds, never an error. Then the viewer's filter over it.
import { parseGoroutineDump, refineGoroutines } from '../../../src/report/goroutines';
import { check, timed } from './invariant';

export function fuzz(data: Buffer): void {
  timed('parsing a goroutine dump', () => {
    // As src/acquire/goroutine-dump.ts decodes the body.
    const dump = parseGoroutineDump(data.toString('utf8'));
    check(dump.groups.reduce((n, g) => n + g.count, 0) === dump.total, 'the groups add up to the total');
    check(dump.groups.every((g) => g.count > 0 && Number.isFinite(g.waitMinutesMax)), 'every group counts goroutines and a finite wait');
    refineGoroutines(dump, { focus: 'main\\.', ignore: 'runtime\\.' });
    JSON.stringify(dump);
  });
}
