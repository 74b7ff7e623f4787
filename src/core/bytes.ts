// SPDX-License-Identifier: Apache-2.0
/** Bytes as hex text and back (tests, logs, golden vectors). Pure. */
import { Buffer } from 'node:buffer';

/** Lowercase hex of bytes (tests, logs). */
export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex');
}

/** Bytes from hex (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}
