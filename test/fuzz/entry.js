// The module the fuzzer loads (it imports JavaScript only): the TypeScript target FUZZ_TARGET names, transpiled
// as the other TypeScript scripts of the repository are (test/support/register-ts.js).
'use strict';
require('../support/register-ts.js');

const name = process.env.FUZZ_TARGET;
if (!name || !/^[a-z-]+$/.test(name)) throw new Error(`FUZZ_TARGET must name a target in test/fuzz/targets/, not ${JSON.stringify(name)}`);
exports.fuzz = require(`./targets/${name}.ts`).fuzz;
