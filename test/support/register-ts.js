// `node -r ./test/support/register-ts.js script.ts` runs a TypeScript script
// as CommonJS (like ts-jest does), transpile-only, with the repo's own
// typescript. Node 22's built-in type stripping would load it as an ES
// module instead, where __dirname and extensionless imports do not work.
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2023,
      esModuleInterop: true,
      sourceMap: false,
    },
  });
  module._compile(outputText, filename);
};
