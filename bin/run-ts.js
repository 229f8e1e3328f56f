#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, scripts) through tsx.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts.js FILE.ts [args]');
  process.exit(2);
}
await import(pathToFileURL(resolve(entry)).href);
