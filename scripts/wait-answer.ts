// Asks a DNS server NAME A every 10 ms until it answers (with ADDR among the addresses, when given),
// then prints "MS EPOCH_MS": how long it waited and the wall clock of the answer. The bench scripts
// time start-up (launch to first answer) and reloads (file change to new answer) with it.
// usage: node dist/scripts/wait-answer.js --port P --name NAME [--expect ADDR] [--timeout S]
import { parseArgs } from 'node:util';
import { queryA, sleep } from './e2e-cluster.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    name: { type: 'string' },
    expect: { type: 'string' },
    timeout: { type: 'string', default: '120' },
  },
});
const port = Number(values.port);
if (!values.name || !Number.isInteger(port) || port <= 0) {
  console.error('usage: wait-answer.js --port P --name NAME [--expect ADDR] [--timeout S]');
  process.exit(2);
}
const t0 = Date.now();
const deadline = t0 + Number(values.timeout) * 1000;
for (;;) {
  // Any reply counts as an answer (an empty one too: the server is up); with --expect, only one holding ADDR.
  const got = await queryA(port, values.name, 200);
  if (got !== null && (values.expect === undefined || got.includes(values.expect))) {
    const now = Date.now();
    console.log(`${now - t0} ${now}`);
    break;
  }
  if (Date.now() > deadline) {
    console.error(
      `wait-answer: no${values.expect ? ` ${values.expect}` : ''} answer for ${values.name} in ${values.timeout} s`,
    );
    process.exitCode = 1;
    break;
  }
  await sleep(10);
}
