// Landmark arrays on the wire and in the database: a Uint32Array as base64 of its little-endian
// bytes (4 bytes a value, a third more as text) — compact next to a JSON array of numbers, and the
// same on every platform.
import os from "node:os";

const LE = os.endianness() === "LE";

export function encodeU32(values: Uint32Array): string {
  if (LE) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v, i * 4));
  return b.toString("base64");
}

/** The inverse of encodeU32; RangeError when the text is not a whole number of 32-bit values. */
export function decodeU32(text: string): Uint32Array {
  const b = Buffer.from(text, "base64");
  if (b.length % 4) throw new RangeError(`packed array has ${b.length} bytes, not a multiple of 4`);
  const out = new Uint32Array(b.length / 4);
  if (LE) new Uint8Array(out.buffer).set(b);
  else for (let i = 0; i < out.length; i++) out[i] = b.readUInt32LE(i * 4);
  return out;
}
