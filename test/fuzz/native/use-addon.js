// Preloaded (node -r) into the fuzzer's process: @jazzer.js/fuzzer loads the libFuzzer addon from its own
// prebuilds/ folder, whose Linux binary needs glibc 2.38; this hands it the one build-addon.ts built here
// instead (its path in JAZZER_ADDON).
'use strict';
const Module = require('node:module');

const built = process.env.JAZZER_ADDON;
if (!built) throw new Error('use-addon.js: JAZZER_ADDON (the path of the built addon) is not set');
const PREBUILT = /[\\/]@jazzer\.js[\\/]fuzzer[\\/]prebuilds[\\/]fuzzer-[^\\/]+\.node$/;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const found = resolve.call(this, request, ...rest);
  return PREBUILT.test(found) ? built : found;
};
