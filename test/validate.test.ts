import zlib from 'node:zlib';
import { emptyTableToken, Profile, Sample, StringTable } from 'pprof-format';
import { ProfileError } from '../src/errors';
import { decodeProfile } from '../src/profile/decode';
import { notAProfile } from '../src/profile/sniff';
import { syntheticProfile } from './support/synthetic-profile';

const MAX = 64 * 1024 * 1024;

function good(): Profile {
  return syntheticProfile([['samples', 'count']], [{ stack: ['main.a', 'main.main'], values: [1] }]);
}

/** The encoder caches what it writes, so a table whose first entry is not "" is built afresh. */
function firstStringNotEmpty(table: StringTable): StringTable {
  const broken = new StringTable(emptyTableToken);
  for (const s of ['not-empty', ...table.strings.slice(1)]) broken.dedup(s);
  return broken;
}

function decodeError(mutate: (p: Profile) => void): string {
  const p = good();
  mutate(p);
  try {
    decodeProfile(p.encode(), { maxBytes: MAX });
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileError);
    return (error as Error).message;
  }
  throw new Error('expected the profile to be refused');
}

describe('profile validation (as pprof CheckValid)', () => {
  test('a well-formed profile decodes', () => {
    const data = decodeProfile(good().encode(), { maxBytes: MAX });
    expect(data.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(data.sampleStart.length - 1).toBe(1);
  });

  test.each<[string, (p: Profile) => void, RegExp]>([
    ['string_table[0] not empty', (p) => (p.stringTable = firstStringNotEmpty(p.stringTable)), /string_table\[0\]/],
    ['function name index == table length', (p) => (p.function[0].name = p.stringTable.strings.length), /function\[0\]\.name.*outside the table/],
    ['sample type index far out of range', (p) => (p.sampleType[0].unit = 99999), /sample_type\[0\]\.unit/],
    ['value count not matching sample types', (p) => (p.sample[0].value = [1, 2]), /2 values, but there are 1 sample types/],
    ['dangling location id', (p) => p.sample.push(new Sample({ locationId: [999], value: [1] })), /location 999, which does not exist/],
    ['dangling function id', (p) => (p.location[0].line[0].functionId = 777), /function 777, which does not exist/],
    ['duplicate location id', (p) => (p.location[1].id = p.location[0].id), /location id .* appears twice/],
  ])('%s is refused with a message naming it', (_what, mutate, message) => {
    expect(decodeError(mutate)).toMatch(message);
  });

  test('more samples than the limit is refused', () => {
    const p = good();
    expect(() => decodeProfile(p.encode(), { maxBytes: MAX, limits: { maxSamples: 0, maxLocations: 10, maxFunctions: 10 } })).toThrow(/samples, more than the limit/);
  });

  test('a gzip bomb stops at the decompressed limit without expanding fully', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeProfile(bomb, { maxBytes: 1024 * 1024 })).toThrow(/expands past the limit of 1048576 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  test('garbage is a parse error, not a crash', () => {
    expect(() => decodeProfile(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { maxBytes: MAX })).toThrow(ProfileError);
  });

  test('an HTML page or a text dump is recognised as not a profile', () => {
    expect(notAProfile(Buffer.from('<!DOCTYPE html><html><body>login</body></html>'))).toMatch(/HTML page/);
    expect(notAProfile(Buffer.from('goroutine profile: total 4\n1 @ 0x43\n'))).toMatch(/text/);
    expect(notAProfile(Buffer.alloc(0))).toMatch(/empty/);
    expect(notAProfile(zlib.gzipSync(good().encode()))).toBeUndefined();
    expect(notAProfile(good().encode())).toBeUndefined();
  });
});
