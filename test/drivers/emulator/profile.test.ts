/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- the tests break an untyped JSON profile on purpose */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBenchError } from '../../../drivers/driver.ts';
import { listProfiles, loadProfile, parseProfile } from '../../../drivers/emulator/profile.ts';

const base = () =>
  structuredClone(loadProfile('vlsi19-hfo2-256')) as unknown as Record<string, any>;

function rejects(mutate: (p: Record<string, any>) => void, path: string): void {
  const p = base();
  mutate(p);
  assert.throws(
    () => parseProfile(p, 'test.json'),
    (e: unknown) => {
      assert.ok(isBenchError(e, 'PROFILE_INVALID'), String(e));
      assert.equal(e.context.path, path);
      assert.ok(e.message.includes(path), e.message);
      return true;
    },
  );
}

describe('chip profiles', () => {
  it('bundles the default, ideal and harsh profiles, all valid', () => {
    assert.deepEqual(listProfiles(), ['harsh', 'ideal', 'vlsi19-hfo2-256']);
    const harsh = loadProfile('harsh');
    const def = loadProfile('vlsi19-hfo2-256');
    assert.equal(harsh.stuck.fraction, 0.05);
    assert.equal(harsh.readNoise.relative, 2 * def.readNoise.relative);
    assert.equal(
      harsh.relaxation.sigmaPolyMicroS[1]![2],
      2 * def.relaxation.sigmaPolyMicroS[1]![2]!,
    );
    assert.equal(harsh.readNoise.additiveMicroS, 2 * def.readNoise.additiveMicroS);
    // The published coefficients, unrounded (aihwkit ReRamWan2022NoiseModel, design.md §3).
    assert.deepEqual(def.relaxation.sigmaPolyMicroS, [
      [0.348, 16.03, -43.853, 45.393, -16.815],
      [0.701, 22.086, -50.773, 47.095, -16.458],
      [0.782, 20.274, -43.507, 37.062, -11.934],
    ]);
    assert.deepEqual(def.relaxation.timesS, [1, 86400, 172800]);
    assert.equal(def.readNoise.additiveMicroS, 0.4);
    const ideal = loadProfile('ideal');
    assert.equal(ideal.readNoise.relative, 0);
    assert.ok(ideal.ifc.linear && ideal.pulse.exact);
  });

  it('rejects a malformed profile naming the field path', () => {
    rejects((p) => (p.rows = 0), 'rows');
    rejects((p) => (p.conductance.gMaxMicroS = 'forty'), 'conductance.gMaxMicroS');
    rejects((p) => (p.conductance.gMaxMicroS = 0.5), 'conductance');
    rejects((p) => delete p.readNoise.relative, 'readNoise.relative');
    rejects((p) => (p.stuck.fraction = 1.5), 'stuck.fraction');
    rejects((p) => (p.limits.set.amplitudeV = { min: 3, max: 1 }), 'limits.set.amplitudeV');
    rejects((p) => (p.relaxation.sigmaPolyMicroS = [[1, 2]]), 'relaxation.sigmaPolyMicroS');
    rejects((p) => (p.readNoise.additiveMicroS = -0.1), 'readNoise.additiveMicroS');
    rejects((p) => (p.relaxation.timesS = [86400, 1, 172800]), 'relaxation.timesS');
    rejects((p) => (p.ifc.defaultReadV = 2), 'ifc.defaultReadV');
    rejects((p) => (p.surprise = true), '(root)');
  });

  it('loads by path, and refuses unknown names, missing files and bad JSON clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rram-profile-'));
    const good = join(dir, 'mine.json');
    writeFileSync(good, JSON.stringify({ ...base(), name: 'mine' }));
    assert.equal(loadProfile(good).name, 'mine');
    assert.throws(
      () => loadProfile('no-such-chip'),
      /no such chip profile: no-such-chip \(known: harsh, ideal, vlsi19-hfo2-256\)/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "name": ');
    assert.throws(
      () => loadProfile(bad),
      (e) => isBenchError(e, 'PROFILE_INVALID') && /not valid JSON/.test(e.message),
    );
  });
});
