export * from './notebooks';
