/** `rram-bench campaign schema`: the JSON Schema of campaign files, for editor completion. */
import { writeFileSync } from 'node:fs';
import { BenchError } from '../../drivers/driver.ts';
import type { Command } from './command.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const usage = `Usage: rram-bench campaign schema [--out FILE]

Print the JSON Schema of campaign files (generated from the same zod definitions that
validate them), or write it to FILE. The copy in the repository is
fixtures/campaigns/campaign.schema.json; editors pick it up with the first line
  # yaml-language-server: $schema=./campaign.schema.json

Options:
  --out FILE           write to FILE instead of stdout
  -h, --help           show this help
`;

/** The `campaign schema` command. */
export const campaignSchema: Command = {
  path: ['campaign', 'schema'],
  summary: 'print the JSON Schema of campaign files',
  usage,
  async run(args, ctx) {
    const { values } = parseCommandArgs('campaign schema', args, { out: { type: 'string' } });
    if (values.help) {
      ctx.stdout.write(usage);
      return 0;
    }
    const { campaignJsonSchema } = await import('../campaign/campaign-json-schema.ts');
    const text = campaignJsonSchema();
    if (values.out === undefined) ctx.stdout.write(text);
    else {
      try {
        writeFileSync(values.out, text);
      } catch (e) {
        throw new BenchError('IO', `cannot write ${values.out}: ${(e as Error).message}`, {
          path: values.out,
        });
      }
      ctx.stderr.write(`wrote ${values.out}\n`);
    }
    return 0;
  },
};
