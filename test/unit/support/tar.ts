/** One member of a tar archive. */
export interface TarEntry {
  readonly name: string;
  /** `0` regular file, `5` directory (the ustar type flag). */
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly body: Buffer;
}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
}

function octal(block: Buffer, offset: number, length: number): number {
  const text = field(block, offset, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/**
 * Reads a ustar archive (what Go's archive/tar writes for short names and small numbers).
 * PAX extended headers are refused rather than half-read: the images' archives have none.
 */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const type = field(header, 156, 1) || "0";
    if (type === "x" || type === "g" || type === "L") throw new Error(`unexpected tar header type ${type}`);
    const prefix = field(header, 345, 155);
    const base = field(header, 0, 100);
    const size = octal(header, 124, 12);
    const start = offset + 512;
    entries.push({
      name: prefix ? `${prefix}/${base}` : base,
      type,
      mode: octal(header, 100, 8),
      uid: octal(header, 108, 8),
      gid: octal(header, 116, 8),
      mtime: octal(header, 136, 12),
      body: archive.subarray(start, start + size),
    });
    offset = start + Math.ceil(size / 512) * 512;
  }
  return entries;
}
