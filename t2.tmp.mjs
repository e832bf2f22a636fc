import v8 from 'node:v8';
import { loadZones } from './dist/zones/load.js';
const zones = loadZones('/tmp/scale10k').zones;
globalThis.keep = zones;
gc();
console.log(v8.writeHeapSnapshot('/tmp/z10k.heapsnapshot'));
