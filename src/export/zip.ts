/**
 * A minimal .zip writer (stored, no compression): enough to hand an exported folder to a browser
 * download as one file. Format: PKWARE APPNOTE 6.3 local headers, central directory, end record.
 */

// One CRC-32 for the whole project (links, files and zips): the notebook's byte helpers.
import { crc32 } from '../notebook/binary';

export { crc32 };

export interface ZipEntry {
  path: string;
  bytes: Uint8Array;
}

export function zip(entries: readonly ZipEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { path, bytes } of entries) {
    const name = encoder.encode(path);
    const crc = crc32(bytes);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed
    local.setUint16(6, 0x0800, true); // UTF-8 names
    local.setUint32(14, crc, true);
    local.setUint32(18, bytes.length, true);
    local.setUint32(22, bytes.length, true);
    local.setUint16(26, name.length, true);
    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, 20, true);
    record.setUint16(6, 20, true);
    record.setUint16(8, 0x0800, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, bytes.length, true);
    record.setUint32(24, bytes.length, true);
    record.setUint16(28, name.length, true);
    record.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, bytes);
    central.push(new Uint8Array(record.buffer), name);
    offset += 30 + name.length + bytes.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What unzip() found: the files it could read, and a message for each entry it could not. */
export interface UnzipResult {
  files: ZipEntry[];
  problems: string[];
}

/** Thrown when bytes are not a readable .zip at all (a damaged entry is a problem instead). */
export class ZipError extends Error {
  override readonly name = 'ZipError';
}

/**
 * A minimal .zip reader, the writer's counterpart: the central directory's entries, stored
 * (method 0) or deflated (method 8, through the browser's DecompressionStream), each checked
 * against its CRC-32. Folders are skipped; encrypted, Zip64 or otherwise compressed entries, and
 * any entry past `maxBytes` of output in all, become a problem naming the entry.
 */
export async function unzip(bytes: Uint8Array, maxBytes = 1 << 28): Promise<UnzipResult> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) {
    throw new ZipError('This is not a .zip file: it has no end-of-central-directory record.');
  }
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const files: ZipEntry[] = [];
  const problems: string[] = [];
  let total = 0;
  for (let k = 0; k < entries; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) {
      throw new ZipError(
        `This .zip file is damaged: its directory breaks off at entry ${k + 1} of ${entries}.`,
      );
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const path = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + skip;
    if (path.endsWith('/')) continue;
    if (flags & 1) {
      problems.push(`${path}: encrypted; extract it first.`);
      continue;
    }
    if (packedSize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) {
      problems.push(`${path}: a Zip64 entry (over 4 GiB), which this reader does not open.`);
      continue;
    }
    if (total + size > maxBytes) {
      problems.push(`${path}: skipped, the archive unpacks to more than ${maxBytes} bytes.`);
      continue;
    }
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) {
      problems.push(`${path}: its data is missing or damaged.`);
      continue;
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const packed = bytes.subarray(start, start + packedSize);
    let data: Uint8Array;
    if (method === 0) data = packed;
    else if (method === 8) {
      try {
        data = await inflateRaw(packed, size);
      } catch {
        problems.push(`${path}: its compressed data is damaged.`);
        continue;
      }
    } else {
      problems.push(
        `${path}: compression method ${method}; only stored and deflated entries open.`,
      );
      continue;
    }
    if (packed.length !== packedSize || data.length !== size || crc32(data) !== crc) {
      problems.push(`${path}: damaged (size or CRC-32 does not match its directory entry).`);
      continue;
    }
    total += size;
    files.push({ path, bytes: data });
  }
  return { files, problems };
}

async function inflateRaw(packed: Uint8Array, size: number): Promise<Uint8Array> {
  const stream = new Blob([packed as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'));
  const reader = stream.getReader();
  const out = new Uint8Array(size);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > size) {
      await reader.cancel();
      throw new Error('inflates past its declared size');
    }
    out.set(value, at);
    at += value.length;
  }
  return at === size ? out : out.subarray(0, at);
}
