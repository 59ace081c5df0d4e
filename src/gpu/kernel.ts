/**
 * A kernel is data: its WGSL, the WGSL libraries it needs, its bindings, its workgroup size and
 * how many workgroups a problem needs. TypeScript only substitutes compile-time constants
 * (`{{NAME}}` tokens) into the WGSL; it never builds shader code from strings otherwise.
 */
import { GpuLimitError } from './errors';

export type BindingKind = 'storage' | 'read-only-storage' | 'uniform';

/** A WGSL file that other kernels prepend (e.g. shaders/lib/philox.wgsl). */
export interface WgslLibrary {
  file: string;
  source: string;
}

/** Compile-time constants substituted for `{{NAME}}` tokens. */
export type KernelConstants = Readonly<Record<string, number | boolean>>;

export interface KernelSpec<Problem = number> {
  /** Unique name; with the constants it is the pipeline-cache key. */
  readonly name: string;
  /** File name used in compiler messages, e.g. 'lib/philox-test.wgsl'. */
  readonly file: string;
  readonly source: string;
  readonly libraries?: readonly WgslLibrary[];
  readonly entryPoint?: string;
  /** Binding i of group 0 has kind bindings[i]. */
  readonly bindings: readonly BindingKind[];
  /** Workgroup size along x; substituted for `{{WORKGROUP_SIZE}}`. */
  readonly workgroupSize: number | ((constants: KernelConstants) => number);
  /** Workgroup counts for a problem (use `workgroupsFor` for 1-D problems of n items). */
  readonly dispatch: (
    problem: Problem,
    workgroupSize: number,
    constants: KernelConstants,
  ) => Dispatch;
}

export type Dispatch = readonly [number, number, number];

export function defineKernel<Problem = number>(spec: KernelSpec<Problem>): KernelSpec<Problem> {
  return spec;
}

/** The WebGPU maximum per dimension that every adapter supports. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * Workgroups covering `items` invocations of `workgroupSize`, folded into y when x overflows.
 * Kernels recover the flat index as `gid.x + gid.y * num_workgroups.x * WORKGROUP_SIZE`.
 */
export function workgroupsFor(items: number, workgroupSize: number): Dispatch {
  const groups = Math.max(1, Math.ceil(items / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  if (y > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new GpuLimitError(
      `A dispatch of ${items} items needs ${groups} workgroups, more than ` +
        `${MAX_WORKGROUPS_PER_DIMENSION}² allowed; split the work into smaller calls.`,
    );
  }
  return [Math.ceil(groups / y), y, 1];
}

/** Where each file starts in an assembled module, for mapping compiler lines back to files. */
export interface SourceSegment {
  file: string;
  /** 1-based line of the assembled module where the file's first line sits. */
  firstLine: number;
  lineCount: number;
}

export interface AssembledSource {
  code: string;
  segments: SourceSegment[];
}

function formatConstant(value: number | boolean): string {
  if (typeof value === 'boolean') return String(value);
  if (!Number.isFinite(value)) throw new RangeError(`Kernel constant must be finite, got ${value}`);
  // An abstract literal converts to u32, i32 or f32 wherever WGSL needs it.
  if (Number.isInteger(value)) return String(value);
  const text = String(value);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

/** Substitutes constants into libraries + kernel and records where each file starts. */
export function assembleSource<P>(
  spec: KernelSpec<P>,
  constants: KernelConstants,
  workgroupSize: number,
): AssembledSource {
  const values: Record<string, number | boolean> = { ...constants, WORKGROUP_SIZE: workgroupSize };
  const used = new Set<string>();
  const files = [...(spec.libraries ?? []), { file: spec.file, source: spec.source }];
  const segments: SourceSegment[] = [];
  const parts: string[] = [];
  let line = 1;
  for (const { file, source } of files) {
    const substituted = source.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new Error(
          `Kernel "${spec.name}": ${file} uses {{${name}}} but no constant ${name} was given ` +
            `(given: ${Object.keys(values).join(', ')}).`,
        );
      }
      used.add(name);
      return formatConstant(value);
    });
    const lineCount = substituted.split('\n').length;
    segments.push({ file, firstLine: line, lineCount });
    parts.push(substituted);
    line += lineCount;
  }
  const unused = Object.keys(constants).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new Error(
      `Kernel "${spec.name}": constants ${unused.join(', ')} are not used by its WGSL; check the names.`,
    );
  }
  return { code: parts.join('\n'), segments };
}

/** Maps a 1-based line of the assembled module to the file and the line within it. */
export function locateLine(
  segments: readonly SourceSegment[],
  line: number,
): { file: string; line: number } {
  for (const segment of segments) {
    if (line >= segment.firstLine && line < segment.firstLine + segment.lineCount) {
      return { file: segment.file, line: line - segment.firstLine + 1 };
    }
  }
  return { file: '(assembled)', line };
}

/** A cache key that is the same for equal constants in any property order. */
export function kernelKey(name: string, constants: KernelConstants): string {
  const entries = Object.keys(constants)
    .sort()
    .map((key) => `${key}=${String(constants[key])}`);
  return entries.length > 0 ? `${name}[${entries.join(',')}]` : name;
}
