export * from './preprocess';
export * from './image-set';
export * from './assets';
export * from './draw';
export * from './kernels';
export * from './image-dataset';
