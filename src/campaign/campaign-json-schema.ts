/** The JSON Schema of campaign files, generated from the zod definitions that validate them. */
import { z } from 'zod';
import { rawSchemas } from './campaign-schema.ts';

/** The schema as pretty-printed JSON text (what fixtures/campaigns/campaign.schema.json holds). */
export function campaignJsonSchema(): string {
  const schema = z.toJSONSchema(rawSchemas.campaign, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'rram-bench campaign' }, null, 2)}\n`;
}
