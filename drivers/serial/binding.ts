/**
 * The serialport binding type, taken through @serialport/stream: the types of
 * @serialport/bindings-interface do not resolve under NodeNext (its package exports hide them).
 */
import type { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

/** A serialport binding: the OS one, MockBinding, or a test pair. */
export type Binding = SerialPortStream['settings']['binding'];

/** What `Binding.list()` reports per port. */
export type PortInfo = Awaited<ReturnType<Binding['list']>>[number];

/** The binding in force: the given one, or the OS binding serialport detected. */
export function bindingOf(binding?: Binding): Binding {
  return binding ?? SerialPort.binding;
}
