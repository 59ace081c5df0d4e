/** WebGPU rendering of the views: point clouds, density heatmaps, warp grids, paths, arrows, axes. */
export * from './render-pipelines';
export * from './programs';
export * from './view-transform';
export * from './ticks';
export * from './colormaps';
export * from './frame';
export * from './points';
export * from './heatmap';
export * from './warp';
export * from './surface';
export * from './trajectories';
export * from './arrows';
export * from './canvas2d';
