// The README is the front door: its set-up commands are there and every `./bin/gslb` line of the
// tour runs as written against the shipped example.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');
  it('shows npm install, npm start and npm test', () => {
    for (const c of ['npm install', 'npm start', 'npm test']) expect(readme).to.include(c);
  });
  const lines = readme.split('\n').filter((l) => l.startsWith('./bin/gslb '));
  it('has gslb commands in the tour', () => {
    expect(lines.length).to.be.at.least(3);
  });
  for (const line of lines) {
    it(`runs: ${line}`, () => {
      const args = line.replace(/#.*$/, '').trim().split(/\s+/).slice(1);
      const r = spawnSync(process.execPath, ['bin/gslb', ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    });
  }
});
