// Writes the seed corpora (test/fuzz/corpus/<target>/) from the real profiles in test/fixtures/profiles/: the
// profiles themselves, gunzipped, a few cut or damaged ones, the debug=2 dump and framed logs made by the
// collector's own encodeFrame. Run: node -r ./test/support/register-ts.js test/fuzz/make-corpus.ts
// (inputs the fuzzer found and that were kept are under corpus/<target>/found/, which this leaves alone).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { COLLECTOR_ERROR_PREFIX, encodeFrame } from '../../src/acquire/framing';
import { CORPUS } from './fuzz-target';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'profiles');
const profiles = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.pb.gz'))
  .map((f) => ({ name: f.replace(/\.pb\.gz$/, ''), gzipped: fs.readFileSync(path.join(FIXTURES, f)) }));
const profile = (name: string) => profiles.find((p) => p.name === name)!.gzipped;
const raw = (name: string) => zlib.gunzipSync(profile(name));
const dump = fs.readFileSync(path.join(FIXTURES, 'goroutine-debug2.txt'), 'utf8');

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0xff;
  return copy;
}

function withTrailer(gzipped: Buffer, isize: number): Buffer {
  const copy = Buffer.from(gzipped);
  copy.writeUInt32LE(isize >>> 0, copy.length - 4);
  return copy;
}

const seeds: Record<string, Record<string, Buffer | string>> = {
  'profile-gzip': {
    ...Object.fromEntries(profiles.map((p) => [`${p.name}.pb.gz`, p.gzipped])),
    'heap-cut-in-half.pb.gz': profile('heap').subarray(0, profile('heap').length >> 1),
    'cpu-bad-crc.pb.gz': flip(profile('cpu'), profile('cpu').length - 6),
    'cpu-isize-4g.pb.gz': withTrailer(profile('cpu'), 0xffffffff),
    'cpu-isize-0.pb.gz': withTrailer(profile('cpu'), 0),
    'two-members.pb.gz': Buffer.concat([profile('threadcreate'), profile('mutex')]),
    'zeros-64k.gz': zlib.gzipSync(Buffer.alloc(64 * 1024)),
    'empty.gz': zlib.gzipSync(Buffer.alloc(0)),
  },
  'profile-raw': {
    ...Object.fromEntries(profiles.map((p) => [`${p.name}.pb`, raw(p.name)])),
    'goroutine-cut.pb': raw('goroutine').subarray(0, 777),
    'cpu-byte-flipped.pb': flip(raw('cpu'), 100),
    // Concatenated protobuf messages merge: every id appears twice.
    'threadcreate-twice.pb': Buffer.concat([raw('threadcreate'), raw('threadcreate')]),
  },
  'goroutine-dump': {
    'goroutine-debug2.txt': dump,
    'goroutine-debug2-cut.txt': dump.slice(0, dump.length >> 1),
    'goroutine-debug2-crlf.txt': dump.replace(/\n/g, '\r\n'),
    'running-elsewhere.txt': 'goroutine 9 [running]:\n\tgoroutine running on other thread; stack unavailable\ncreated by main.start in goroutine 1\n\t/src/main.go:5 +0x5a\n',
  },
  'framed-log': {
    'threadcreate.log': encodeFrame(profile('threadcreate')),
    'cpu.log': encodeFrame(profile('cpu')),
    'heap-crlf-with-warning.log': `(node:1) Warning: something\n${encodeFrame(profile('heap')).replace(/\n/g, '\r\n')}trailing line\n`,
    'mutex-no-end-line.log': encodeFrame(profile('mutex')).split('\n').slice(0, -2).join('\n'),
    'block-begin-line-lost.log': encodeFrame(profile('block')).split('\n').slice(1).join('\n'),
    'collector-error.log': `${COLLECTOR_ERROR_PREFIX}fetching profile: http://127.0.0.1:6060/debug/pprof/heap answered 404 Not Found\n`,
    'empty.log': '',
  },
};

for (const [target, files] of Object.entries(seeds)) {
  const dir = path.join(CORPUS, target);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir, { withFileTypes: true })) if (f.isFile()) fs.rmSync(path.join(dir, f.name));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  console.log(`${target}: ${Object.keys(files).length} seeds`);
}
