// Preloaded (NODE_OPTIONS=--require) into Stryker's processes by scripts/mutate.mjs.
// @stryker-mutator/mocha-runner 9 (the line whose core runs on Node 20) requires mocha's CLI
// helpers by their pre-12 names (`mocha/lib/cli/run-helpers`); mocha 12 ships them as `.cjs`.
// When such a require fails, retry it with the `.cjs` name. Nothing else is touched.
const Module = require('node:module');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (e) {
    if (/[\\/]mocha[\\/]lib[\\/]cli[\\/][\w-]+$/.test(request))
      return resolve.call(this, `${request}.cjs`, ...rest);
    throw e;
  }
};
