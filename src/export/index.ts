/** The PyTorch export: a notebook as a self-contained PyTorch project (pure TS, no GPU). */
export * from './pytorch-project';
export { zip, crc32, type ZipEntry } from './zip';
export { unzip, ZipError, type UnzipResult } from './zip';
export * from './image-files';
export * from './image-export';
