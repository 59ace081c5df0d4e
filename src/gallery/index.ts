export * from './notebooks';
export * from './lab-specs';
