// A hex dump, one line of 16 bytes: offset, bytes, printable ASCII.

export const HEX_BYTES_PER_LINE = 16;

export function hexLineCount(length: number): number {
  return Math.ceil(length / HEX_BYTES_PER_LINE);
}

/** Line `index` of the dump of `bytes`, whose first byte is at file offset `base`. */
export function hexLine(bytes: Uint8Array, index: number, base = 0): string {
  const start = index * HEX_BYTES_PER_LINE;
  const slice = bytes.subarray(start, start + HEX_BYTES_PER_LINE);
  let hex = '';
  let ascii = '';
  for (let i = 0; i < HEX_BYTES_PER_LINE; i++) {
    if (i === 8) hex += ' ';
    if (i < slice.length) {
      const b = slice[i];
      hex += b.toString(16).padStart(2, '0') + ' ';
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    } else {
      hex += '   ';
    }
  }
  return `${(base + start).toString(16).padStart(8, '0')}  ${hex} ${ascii}`;
}
