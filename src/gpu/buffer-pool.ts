/**
 * Buffers pooled by (size bucket, usage). An owner acquires a PooledBuffer and disposes it;
 * disposal returns the GPU buffer to the pool instead of destroying it, so models that are
 * rebuilt (reset, new width) reuse memory. `stats()` lets tests assert nothing leaks.
 */

/**
 * GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as the numbers the WebGPU spec fixes, so modules
 * can name it while they load: GPUBufferUsage itself is missing where WebGPU is (Node, a browser
 * without WebGPU), and the library must still import there so openLab can say why.
 */
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08;

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  inUse: number;
  inUseBytes: number;
  /** Buffers kept for reuse. */
  free: number;
  freeBytes: number;
}

/** Round up to a bucket so nearby sizes share buffers: multiples of 256 B, then powers of two. */
export function bucketSize(byteLength: number): number {
  const minimum = Math.max(16, Math.ceil(byteLength / 4) * 4);
  if (minimum <= 4096) return Math.ceil(minimum / 256) * 256;
  return 2 ** Math.ceil(Math.log2(minimum));
}

/** A buffer owned by exactly one object until dispose(). */
export class PooledBuffer {
  private released = false;
  constructor(
    private readonly pool: BufferPool,
    readonly buffer: GPUBuffer,
    /** The bytes the owner asked for (the GPU buffer may be larger). */
    readonly byteLength: number,
  ) {}

  /** A binding that covers exactly the requested bytes. */
  get binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: 0, size: this.byteLength };
  }

  get disposed(): boolean {
    return this.released;
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.pool.release(this.buffer);
  }
}

export class BufferPool {
  private readonly freeLists = new Map<string, GPUBuffer[]>();
  private readonly inUse = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  acquire(byteLength: number, usage: GPUBufferUsageFlags, label: string): PooledBuffer {
    const size = bucketSize(byteLength);
    const key = `${size}:${usage}`;
    const list = this.freeLists.get(key);
    let buffer = list?.pop();
    if (buffer) {
      buffer.label = label;
    } else {
      buffer = this.device.createBuffer({ label, size, usage });
    }
    this.inUse.add(buffer);
    return new PooledBuffer(this, buffer, byteLength);
  }

  /** Acquires a buffer and fills it with `data` (queue.writeBuffer: no mapping round trip). */
  upload(data: ArrayBufferView, usage: GPUBufferUsageFlags, label: string): PooledBuffer {
    const owned = this.acquire(data.byteLength, usage | GPUBufferUsage.COPY_DST, label);
    this.device.queue.writeBuffer(owned.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return owned;
  }

  /** Called by PooledBuffer.dispose(). */
  release(buffer: GPUBuffer): void {
    if (!this.inUse.delete(buffer)) {
      throw new Error(
        `Buffer "${buffer.label}" was released twice or does not belong to this pool.`,
      );
    }
    const key = `${buffer.size}:${buffer.usage}`;
    let list = this.freeLists.get(key);
    if (!list) this.freeLists.set(key, (list = []));
    buffer.label = `${buffer.label} (free)`;
    list.push(buffer);
  }

  stats(): PoolStats {
    let free = 0;
    let freeBytes = 0;
    for (const list of this.freeLists.values()) {
      free += list.length;
      for (const buffer of list) freeBytes += buffer.size;
    }
    let inUseBytes = 0;
    for (const buffer of this.inUse) inUseBytes += buffer.size;
    return { inUse: this.inUse.size, inUseBytes, free, freeBytes };
  }

  /** Destroys the buffers kept for reuse (memory pressure, or before disposing the device). */
  trim(): void {
    for (const list of this.freeLists.values()) for (const buffer of list) buffer.destroy();
    this.freeLists.clear();
  }

  /** Destroys everything, including buffers still in use. */
  dispose(): void {
    this.trim();
    for (const buffer of this.inUse) buffer.destroy();
    this.inUse.clear();
  }
}
