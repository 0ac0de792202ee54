/**
 * Serial ports on this machine, with the USB identity that finds a board again after it
 * re-enumerates. serialport's own list needs `udevadm` on Linux; where that is missing (minimal
 * containers, CI images) the same facts are read from sysfs, which is where udev gets them.
 */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

/** A serial port and what identifies it. */
export interface PortListing {
  /** Device path, e.g. /dev/ttyUSB0. */
  path: string;
  manufacturer?: string;
  /** USB serial number: survives unplugging and a new device name. */
  serialNumber?: string;
  /** USB vendor id, 4 hex digits. */
  vendorId?: string;
  /** USB product id, 4 hex digits. */
  productId?: string;
  /** Where the list came from. */
  source: 'serialport' | 'sysfs';
}

function readAttr(dir: string, name: string): string | undefined {
  try {
    const v = readFileSync(join(dir, name), 'utf8').trim();
    return v === '' ? undefined : v;
  } catch {
    return undefined;
  }
}

/** Ports under /sys/class/tty that have a device behind them, with USB attributes when present. */
export function listPortsFromSysfs(root = '/sys/class/tty'): PortListing[] {
  if (!existsSync(root)) return [];
  const out: PortListing[] = [];
  for (const name of readdirSync(root).sort()) {
    const device = join(root, name, 'device');
    if (!existsSync(device)) continue; // virtual consoles and ptys have none
    let dir = realpathSync(device);
    // Walk up to the USB device node (it has idVendor); stop at the root.
    while (dir !== '/' && !existsSync(join(dir, 'idVendor'))) dir = join(dir, '..');
    const usb = dir !== '/';
    if (!usb && /^ttyS\d+$/.test(name)) continue; // legacy UARTs that are mostly absent
    out.push({
      path: `/dev/${name}`,
      ...(usb && {
        manufacturer: readAttr(dir, 'manufacturer'),
        serialNumber: readAttr(dir, 'serial'),
        vendorId: readAttr(dir, 'idVendor'),
        productId: readAttr(dir, 'idProduct'),
      }),
      source: 'sysfs',
    });
  }
  return out;
}

/** The serial ports of this machine. */
export async function listPorts(): Promise<PortListing[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      vendorId: p.vendorId,
      productId: p.productId,
      source: 'serialport' as const,
    }));
  } catch {
    return listPortsFromSysfs();
  }
}
