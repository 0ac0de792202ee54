/** `rram-bench ports`: the serial ports of this machine, with their USB identity. */
import type { CliContext, Command } from './command.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = { json: { type: 'boolean' } } as const;

const usage = `Usage: rram-bench ports [--json]

List the serial ports of this machine with the USB vendor id, product id, serial number and
manufacturer where the port is a USB device: the serial number finds a board again when it
comes back under another name.

Options:
  --json               print one JSON array
  -h, --help           show this help
`;

/** The `ports` command. */
export const ports: Command = {
  path: ['ports'],
  summary: 'list serial ports with USB vendor/product/serial',
  usage,
  run,
};

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('ports', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  const { listPorts } = await import('../../drivers/factory.ts');
  const list = await listPorts();
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    ctx.stdout.write('no serial ports found\n');
    return 0;
  }
  const rows = list.map((p) => [
    p.path,
    p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-',
    p.serialNumber ?? '-',
    p.manufacturer ?? '-',
  ]);
  const head = ['port', 'usb id', 'serial', 'manufacturer'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    ctx.stdout.write(
      `${r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}
