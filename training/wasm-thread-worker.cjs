// Worker script for tfjs-wasm's threaded build in Node (see wasm-threads.ts). tfjs passes
// Emscripten's worker source to `new Worker` as a blob: URL, which Node does not accept; this
// file runs that same source, and serves the module factory that the worker would otherwise load
// from a second blob URL (`importScripts`).
'use strict';
const { workerData } = require('node:worker_threads');

// Paths from threadedBuildFiles() in wasm-threads.ts, which checked them before the start.
const { wasmWorkerContents } = require(workerData.worker);
const factory = require(workerData.factory);
// tfjs escapes newlines the same way before making its Blob (a template literal unescaped them).
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(
  require,
  __filename,
);
globalThis.importScripts = () => {
  globalThis.WasmBackendModuleThreadedSimd = factory;
};
