/**
 * One flat parameter buffer per model with named views. The same layout indexes the gradient
 * and optimizer-state buffers. Initial values come from Philox keyed by the seed, so a model is
 * a pure function of its spec and seed.
 */
import { seedKey, uniform4 } from '../rng/philox';

/** Streams of the Philox counter reserved for parameter initialisation. */
export const INIT_STREAM = 0x1417;

export type InitScheme =
  /** U(−b, b), b = gain·√(3 / fanIn) (He/Kaiming; gain √2 for ReLU-like activations). */
  | { kind: 'kaiming-uniform'; fanIn: number; gain: number }
  /** U(−b, b), b = gain·√(6 / (fanIn + fanOut)) (Glorot/Xavier). */
  | { kind: 'xavier-uniform'; fanIn: number; fanOut: number; gain: number }
  /** U(−b, b), b = 1/√fanIn: PyTorch's nn.Linear default, used for biases. */
  | { kind: 'fan-in-uniform'; fanIn: number }
  | { kind: 'constant'; value: number };

export interface ParameterView {
  readonly name: string;
  /** Offset in floats within the flat buffer. */
  readonly offset: number;
  readonly length: number;
  readonly shape: readonly number[];
  readonly init: InitScheme;
}

export class ParameterLayout {
  private readonly list: ParameterView[] = [];
  private size = 0;

  add(name: string, shape: readonly number[], init: InitScheme): ParameterView {
    if (this.list.some((view) => view.name === name)) {
      throw new Error(`Parameter "${name}" is defined twice in one layout.`);
    }
    const length = shape.reduce((a, b) => a * b, 1);
    const view: ParameterView = { name, offset: this.size, length, shape: [...shape], init };
    this.list.push(view);
    this.size += length;
    return view;
  }

  get views(): readonly ParameterView[] {
    return this.list;
  }

  /** Number of floats in the flat buffer. */
  get total(): number {
    return this.size;
  }

  view(name: string): ParameterView {
    const view = this.list.find((v) => v.name === name);
    if (!view) {
      throw new Error(
        `No parameter "${name}"; the layout has ${this.list.map((v) => v.name).join(', ')}.`,
      );
    }
    return view;
  }

  /** Initial values for `seed`: element i of view v uses the Philox counter (i/4, v, INIT_STREAM). */
  initialize(seed: number): Float32Array {
    const key = seedKey(seed);
    const values = new Float32Array(this.size);
    this.list.forEach((view, viewIndex) => {
      const bound = uniformBound(view.init);
      for (let i = 0; i < view.length; i += 4) {
        const u = uniform4([i / 4, viewIndex, INIT_STREAM, 0], key);
        for (let k = 0; k < 4 && i + k < view.length; k++) {
          values[view.offset + i + k] =
            view.init.kind === 'constant' ? view.init.value : bound * (2 * u[k]! - 1);
        }
      }
    });
    return values;
  }
}

function uniformBound(init: InitScheme): number {
  switch (init.kind) {
    case 'kaiming-uniform':
      return init.gain * Math.sqrt(3 / init.fanIn);
    case 'xavier-uniform':
      return init.gain * Math.sqrt(6 / (init.fanIn + init.fanOut));
    case 'fan-in-uniform':
      return 1 / Math.sqrt(init.fanIn);
    case 'constant':
      return 0;
  }
}
