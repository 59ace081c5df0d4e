export * from './schema';
export * from './limits';
export * from './cells';
export * from './links';
export * from './store';
