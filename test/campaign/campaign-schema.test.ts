/** The JSON Schema in fixtures/ is generated from the zod definitions and must be up to date. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { campaignJsonSchema } from '../../src/campaign/campaign-json-schema.ts';

describe('campaign JSON Schema', () => {
  it('fixtures/campaigns/campaign.schema.json is up to date (regenerate: rram-bench campaign schema --out …)', () => {
    assert.deepEqual(
      JSON.parse(readFileSync('fixtures/campaigns/campaign.schema.json', 'utf8')),
      JSON.parse(campaignJsonSchema()),
    );
  });

  it('describes every step kind', () => {
    const text = campaignJsonSchema();
    for (const kind of [
      'identify',
      'configure',
      'form',
      'characterize',
      'program',
      'read-map',
      'retention',
      'sweep',
      'infer',
      'export',
      'loop',
    ])
      assert.ok(text.includes(`"const": "${kind}"`), kind);
  });
});
