#!/usr/bin/env node
// The former bin, kept so that `node bundle/aggregate.mjs` and scripts naming it keep working:
// runs the bin, aggregate.cjs, next to it. Loading through the ES module loader, this path starts
// libuv's thread pool at its default size on Node 20 (see scripts/launcher.cjs): name the .cjs.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./aggregate.cjs');
