/**
 * The random numbers one sampled point uses, exactly as shaders/data/sample.wgsl draws them.
 *
 * Point `index` of the batch at `step` with Philox key = seedKey(seed) uses two counters:
 *   B = philox4x32_10((index, step, stream, 0), key)   raw words
 *   N = philox_normal4((index, step, stream, 1), key)  four standard normals (Box–Muller)
 * and from them
 *   choice(K) = floor(B.x · K / 2^32)                   a uniform integer in [0, K), exact
 *   u1, u2, u3 = unit(B.y), unit(B.z), unit(B.w)        uniforms in (0, 1), exact in f32
 *   n1 … n4   = N.x … N.w
 * Discrete choices use integer arithmetic (the high word of B.x·K) so that GPU and CPU agree
 * exactly; only the continuous parts differ, by f32 rounding of transcendental functions.
 */
import { normal4, philox4x32_10, unitFromBits, type Key } from '../rng/philox';

/** The Philox stream of dataset sampling ('DATA' in ASCII); trainers use other streams. */
export const DATA_STREAM = 0x44415441;

const TWO_32 = 4294967296;

export class PointDraws {
  private readonly words = new Uint32Array(4);
  private normals: [number, number, number, number] | undefined;
  private index = 0;
  private step = 0;

  constructor(
    private readonly key: Key,
    private readonly stream: number,
  ) {}

  /** Moves to point `index` of the batch at `step`. */
  at(index: number, step: number): this {
    this.index = index >>> 0;
    this.step = step >>> 0;
    philox4x32_10([this.index, this.step, this.stream, 0], this.key, this.words);
    this.normals = undefined;
    return this;
  }

  /** A uniform integer in [0, count): the high word of B.x · count (count < 2^21). */
  choice(count: number): number {
    return Math.floor((this.words[0]! * count) / TWO_32);
  }

  get u1(): number {
    return unitFromBits(this.words[1]!);
  }

  get u2(): number {
    return unitFromBits(this.words[2]!);
  }

  get u3(): number {
    return unitFromBits(this.words[3]!);
  }

  /** The four standard normals n1..n4 (computed on first use). */
  normal(): readonly [number, number, number, number] {
    this.normals ??= normal4([this.index, this.step, this.stream, 1], this.key);
    return this.normals;
  }
}
