// Worker script for tfjs-wasm's threaded build in Node (see wasm-threads.ts). tfjs passes
// Emscripten's worker source to `new Worker` as a blob: URL, which Node does not accept; this
// file runs that same source, and serves the module factory that the worker would otherwise load
// from a second blob URL (`importScripts`).
'use strict';
const { dirname, join } = require('node:path');

// The same folder as wasmOutDir() in wasm-threads.ts (which checks these files first).
const dir = join(
  dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
  'wasm-out',
);
const { wasmWorkerContents } = require(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js'));
const factory = require(join(dir, 'tfjs-backend-wasm-threaded-simd.js'));
// tfjs escapes newlines the same way before making its Blob (a template literal unescaped them).
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(
  require,
  __filename,
);
globalThis.importScripts = () => {
  globalThis.WasmBackendModuleThreadedSimd = factory;
};
