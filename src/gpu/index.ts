export * from './errors';
export * from './reporter';
export * from './device';
export * from './kernel';
export * from './pipeline-cache';
export * from './buffer-pool';
export * from './readback';
export * from './runtime';
