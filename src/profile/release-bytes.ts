/** Frees the bytes' memory at once by detaching their buffer, when they have it to themselves. */
export function releaseBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return;
  releaseBuffer(buffer);
}

/** Frees a buffer's memory at once by detaching it: every view of it is then empty. */
export function releaseBuffer(buffer: ArrayBuffer): void {
  // ES2024's ArrayBuffer.prototype.transfer (Node 21+), not yet in TypeScript's ES2023 library.
  (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
