// The libFuzzer addon that @jazzer.js/core runs on. @jazzer.js/fuzzer 4.0.0 ships its Linux addon prebuilt
// against glibc 2.38 and GCC 13's libstdc++ (Debian 12 has 2.36 and GCC 12), and no C++ sources; 2.1.0 ships the
// sources (the same native API, less registerModuleCounters) but its build downloads Jazzer's libFuzzer fork from
// GitHub. So: 2.1.0's sources from the npm registry (integrity pinned below), Debian's stock libFuzzer
// (libclang-rt-16-dev), the few symbols the fork added (stock-libfuzzer.cpp), compiled with g++. About 20 s,
// once: the result is cached under .cache/ by a key of everything that goes into it.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE = path.join(ROOT, '.cache', 'jazzer-addon');
const SOURCES = { spec: '@jazzer.js/fuzzer@2.1.0', integrity: 'sha512-WroUAGH1+AFoI+5kRGOjvh9+1GsYEmCinvEt9yF0E0pBTeadssCG6Y8adeYh6W0rum2LjPsjVfLEWMunRLt/Ew==' };
/** libFuzzer without its main(), from Debian's libclang-rt-16-dev (JAZZER_LIBFUZZER names another). */
export const LIBFUZZER = process.env.JAZZER_LIBFUZZER ?? '/usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a';
const SHIMS = ['stock-libfuzzer.cpp', 'fuzzer/FuzzerDefs.h'].map((f) => path.join(__dirname, f));
/** Lines of the 2.1.0 sources that stock-libfuzzer.cpp takes over: the module's entry point, and the driver call. */
const PATCHES = [
  { file: 'addon.cpp', from: 'NODE_API_MODULE(jazzerjs, Init)', to: '// entry point: stock-libfuzzer.cpp' },
  { file: 'utils.cpp', from: 'fuzzer::FuzzerDriver(&argc, &argv, fuzzCallback);', to: 'int FuzzerDriverStoppingOnFinding(int *, char ***, fuzzer::UserCallback);\n  FuzzerDriverStoppingOnFinding(&argc, &argv, fuzzCallback);' },
];

/** What is missing to build the addon, as an instruction, or undefined when nothing is. */
export async function missingTools(): Promise<string | undefined> {
  const missing: string[] = [];
  if (!fs.existsSync(LIBFUZZER)) missing.push('libclang-rt-16-dev');
  if (!(await run('g++', ['--version']).then(() => true, () => false))) missing.push('g++');
  if (missing.length === 0) return undefined;
  return `the fuzzer's addon needs ${missing.join(' and ')} (Debian packages: apt-get install -y ${missing.join(' ')}); ${LIBFUZZER} is the libFuzzer it links`;
}

let built: Promise<string> | undefined;

/** The path of the addon, built first when the cache has none for these inputs. */
export function jazzerAddon(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const problem = await missingTools();
  if (problem) throw new Error(problem);
  const headers = { napi: path.join(packageDir('node-api-headers'), 'include'), addonApi: packageDir('node-addon-api') };
  const compiler = (await run('g++', ['--version'])).stdout.split('\n')[0];
  const key = crypto.createHash('sha256');
  for (const part of [SOURCES.integrity, compiler, LIBFUZZER, String(fs.statSync(LIBFUZZER).size), JSON.stringify(PATCHES), ...SHIMS.map((f) => fs.readFileSync(f, 'utf8'))]) key.update(`${part}\0`);
  const dir = path.join(CACHE, key.digest('hex').slice(0, 16));
  const addon = path.join(dir, 'jazzerjs.node');
  if (fs.existsSync(addon)) return addon;

  fs.rmSync(dir, { recursive: true, force: true });
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  await unpackSources(dir, src);
  for (const patch of PATCHES) {
    const file = path.join(src, patch.file);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(patch.from)) throw new Error(`building the fuzzer's addon: ${file} has no line ${patch.from}`);
    fs.writeFileSync(file, text.replace(patch.from, patch.to));
  }
  const cpp = [...listCpp(src), path.join(__dirname, 'stock-libfuzzer.cpp')];
  const flags = ['-O2', '-shared', '-fPIC', '-std=c++17', '-DNAPI_VERSION=4', '-DNAPI_CPP_EXCEPTIONS'];
  const includes = [__dirname, src, headers.napi, headers.addonApi].map((d) => `-I${d}`);
  const link = ['-Wl,--whole-archive', LIBFUZZER, '-Wl,--no-whole-archive', '-lpthread'];
  const partial = `${addon}.partial`;
  await run('g++', [...flags, ...includes, ...cpp, ...link, '-o', partial], { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`building the fuzzer's addon: g++ failed: ${error.stderr?.slice(-4000) ?? error.message}`);
  });
  fs.renameSync(partial, addon);
  return addon;
}

/** The C++ sources of @jazzer.js/fuzzer 2.1.0 from the npm registry, checked against the pinned integrity. */
async function unpackSources(dir: string, src: string): Promise<void> {
  const packed = await run('npm', ['pack', SOURCES.spec, '--silent', '--pack-destination', dir], { cwd: dir }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`building the fuzzer's addon: npm pack ${SOURCES.spec} failed: ${error.stderr?.trim() || error.message}`);
  });
  const tarball = path.join(dir, packed.stdout.trim().split('\n').pop() ?? '');
  const integrity = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
  if (integrity !== SOURCES.integrity) throw new Error(`building the fuzzer's addon: ${SOURCES.spec} has integrity ${integrity}, not the pinned ${SOURCES.integrity}`);
  await run('tar', ['-xzf', tarball, '-C', src, '--strip-components=1', 'package/addon.cpp', 'package/fuzzing_sync.cpp', 'package/fuzzing_async.cpp', 'package/utils.cpp', 'package/fuzzing_sync.h', 'package/fuzzing_async.h', 'package/utils.h', 'package/shared']);
}

function listCpp(src: string): string[] {
  return [src, path.join(src, 'shared')].flatMap((d) =>
    fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => path.join(d, f)),
  );
}

/** The headers as @jazzer.js/fuzzer's own dependencies bring them: node-addon-api, and node-api-headers (cmake-js's). */
function packageDir(name: string): string {
  const fuzzer = path.dirname(require.resolve('@jazzer.js/fuzzer/package.json'));
  const cmakeJs = path.dirname(require.resolve('cmake-js/package.json', { paths: [fuzzer] }));
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [fuzzer, cmakeJs] }));
}
