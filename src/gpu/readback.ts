/**
 * Reads GPU buffers back without stalling the queue: a small ring of MAP_READ staging buffers.
 * A read copies into a free staging buffer, submits, and maps it asynchronously; the caller keeps
 * submitting work meanwhile. A staging buffer returns to the ring once its data is copied out.
 */
export class ReadbackRing {
  private readonly idle: GPUBuffer[] = [];
  private readonly all = new Set<GPUBuffer>();
  private readonly waiters: (() => void)[] = [];
  private disposed = false;

  constructor(
    private readonly device: GPUDevice,
    /** Most staging buffers alive at once; further reads wait for one to come back. */
    readonly slots = 4,
  ) {}

  /** Copies `byteLength` bytes of `source` from `offset` and resolves with a fresh ArrayBuffer. */
  async read(
    source: GPUBuffer,
    offset = 0,
    byteLength = source.size - offset,
  ): Promise<ArrayBuffer> {
    if (byteLength <= 0 || byteLength % 4 !== 0 || offset % 4 !== 0) {
      throw new RangeError(
        `Readback needs a positive size and offset that are multiples of 4 bytes, got offset ${offset}, size ${byteLength}.`,
      );
    }
    const staging = await this.take(byteLength);
    try {
      const encoder = this.device.createCommandEncoder({ label: `readback of ${source.label}` });
      encoder.copyBufferToBuffer(source, offset, staging, 0, byteLength);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, byteLength);
      const copy = staging.getMappedRange(0, byteLength).slice(0);
      staging.unmap();
      return copy;
    } finally {
      this.give(staging);
    }
  }

  async readFloat32(source: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
    const bytes = count === undefined ? source.size - offset : count * 4;
    return new Float32Array(await this.read(source, offset, bytes));
  }

  async readUint32(source: GPUBuffer, offset = 0, count?: number): Promise<Uint32Array> {
    const bytes = count === undefined ? source.size - offset : count * 4;
    return new Uint32Array(await this.read(source, offset, bytes));
  }

  /** Staging buffers alive (busy or idle). */
  get size(): number {
    return this.all.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const buffer of this.all) buffer.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private async take(byteLength: number): Promise<GPUBuffer> {
    for (;;) {
      if (this.disposed) throw new Error('ReadbackRing was disposed while a read was waiting.');
      const index = this.idle.findIndex((buffer) => buffer.size >= byteLength);
      if (index >= 0) return this.idle.splice(index, 1)[0]!;
      if (this.all.size < this.slots || this.idle.length > 0) {
        // Replace the smallest idle buffer (too small for this read) or grow the ring.
        if (this.all.size >= this.slots) {
          const smallest = this.idle.shift()!;
          this.all.delete(smallest);
          smallest.destroy();
        }
        const size = Math.max(256, 2 ** Math.ceil(Math.log2(byteLength)));
        const buffer = this.device.createBuffer({
          label: `readback staging ${this.all.size}`,
          size,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        this.all.add(buffer);
        return buffer;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private give(buffer: GPUBuffer): void {
    if (this.disposed) return;
    this.idle.push(buffer);
    this.waiters.shift()?.();
  }
}
