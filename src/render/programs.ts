/** The render programs (and the one compute kernel) of the views, as data. */
import arrowsSource from '../../shaders/render/arrows.wgsl';
import heatmapRangeSource from '../../shaders/render/heatmap-range.wgsl';
import heatmapSource from '../../shaders/render/heatmap.wgsl';
import pointsSource from '../../shaders/render/points.wgsl';
import trajectoriesSource from '../../shaders/render/trajectories.wgsl';
import viewSource from '../../shaders/render/view.wgsl';
import warpSource from '../../shaders/render/warp-lines.wgsl';
import { defineKernel, type KernelConstants } from '../gpu';
import type { RenderProgram } from './render-pipelines';

const VIEW_LIBRARY = { file: 'render/view.wgsl', source: viewSource } as const;

/** Points as quads (two triangles, six vertices each), pulled from a storage buffer. */
export const POINTS_QUAD_PROGRAM: RenderProgram = {
  name: 'render/points-quad',
  file: 'render/points.wgsl',
  source: pointsSource,
  libraries: [VIEW_LIBRARY],
  bindings: ['uniform', 'uniform', 'read-only-storage'],
  topology: 'triangle-list',
  blend: 'premultiplied',
  vertexEntry: 'vs_quad',
};

/** Points of a device pixel or less: one vertex each, as a point list. */
export const POINTS_PIXEL_PROGRAM: RenderProgram = {
  ...POINTS_QUAD_PROGRAM,
  name: 'render/points-pixel',
  topology: 'point-list',
  vertexEntry: 'vs_pixel',
};

export const HEATMAP_PROGRAM: RenderProgram = {
  name: 'render/heatmap',
  file: 'render/heatmap.wgsl',
  source: heatmapSource,
  libraries: [VIEW_LIBRARY],
  bindings: ['uniform', 'uniform', 'read-only-storage', 'read-only-storage', 'uniform'],
  topology: 'triangle-list',
  blend: 'premultiplied',
};

export const WARP_PROGRAM: RenderProgram = {
  name: 'render/warp-lines',
  file: 'render/warp-lines.wgsl',
  source: warpSource,
  libraries: [VIEW_LIBRARY],
  bindings: ['uniform', 'uniform', 'read-only-storage'],
  topology: 'triangle-list',
  blend: 'premultiplied',
};

/** A program with the constants it is compiled with. */
export interface ProgramRequest {
  readonly program: RenderProgram;
  readonly constants?: KernelConstants;
}

export const HEATMAP_RANGE_KERNEL = defineKernel<number>({
  name: 'render/heatmap-range',
  file: 'render/heatmap-range.wgsl',
  source: heatmapRangeSource,
  bindings: ['uniform', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: () => [1, 1, 1],
});

/** Sample paths as quads per segment, pulled from the frames buffer (trajectories view). */
export const TRAJECTORIES_PROGRAM: RenderProgram = {
  name: 'render/trajectories',
  file: 'render/trajectories.wgsl',
  source: trajectoriesSource,
  libraries: [VIEW_LIBRARY],
  bindings: ['uniform', 'uniform', 'read-only-storage'],
  topology: 'triangle-list',
  blend: 'premultiplied',
};

/** Paths of a device pixel: a line-list, two vertices per segment. */
export const TRAJECTORIES_LINES_PROGRAM: RenderProgram = {
  ...TRAJECTORIES_PROGRAM,
  name: 'render/trajectories-lines',
  topology: 'line-list',
  vertexEntry: 'vs_line',
};

/** Vector-field arrows (shaft quad + head triangle each), pulled from a buffer of vec4. */
export const ARROWS_PROGRAM: RenderProgram = {
  name: 'render/arrows',
  file: 'render/arrows.wgsl',
  source: arrowsSource,
  libraries: [VIEW_LIBRARY],
  bindings: ['uniform', 'uniform', 'read-only-storage'],
  topology: 'triangle-list',
  blend: 'premultiplied',
};
