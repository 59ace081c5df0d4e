/// <reference types="@webgpu/types" preserve="true" />
/**
 * Flowfield's library entry: the public contract used by the UI, the worker, tests and other
 * people's pages. See README.md ("Library API") for the documented names.
 */
export {
  GpuRuntime,
  acquireGpu,
  WebGpuUnavailableError,
  ShaderError,
  GpuDeviceLostError,
  GpuLimitError,
  type AdapterSummary,
  type GpuEvent,
} from './gpu';
export { philox4x32_10, seedKey, fillRandomCpu } from './rng/philox';
export { openLab, Lab, type LabOptions } from './lab/lab';
// Without WebGPU: the same models from float64 twins on the CPU, to show weights (issue #19).
export {
  openCpuLab,
  CpuLab,
  CpuDataset,
  CpuFlowModel,
  CpuDiffusionModel,
  type CpuLabModel,
} from './lab/cpu-lab';
export {
  Dataset,
  DatasetSampler,
  DatasetLogProb,
  AffineNormalizer,
  BUILTIN_NAMES,
  EXACT_DENSITY_NAMES,
  DATA_STREAM,
  MAX_POINTS,
  MAX_GRID_SIDE,
  DatasetSpecError,
  DensityUnavailableError,
  PointParseError,
  parsePoints,
  gridFromPixels,
  gridFromImage,
  gridFromFormula,
  specToJSON,
  type BuiltinName,
  type Bounds,
  type DatasetSpec,
  type BuiltinDatasetSpec,
  type PointsDatasetSpec,
  type GridDatasetSpec,
  type GridSpec,
  type NormalizationMode,
  type SampleOptions,
  type SampleRequest,
  type LogProbOptions,
  type EntropyOptions,
  type EntropyEstimate,
  type ImageGridOptions,
  type RgbaPixels,
  type ParsePointsOptions,
  type PointParseIssue,
  type Space,
  // Image data sets (issue #15): shipped MNIST / Fashion-MNIST, user image sets, pre-processing.
  ImageDataset,
  ImageSampler,
  ImageInverse,
  IMAGE_DATASET_NAMES,
  IMAGE_DATASET_SIZES,
  IMAGE_CLASS_NAMES,
  IMAGE_SPLITS,
  IMAGE_TRANSFORMS,
  MAX_IMAGE_SIDE,
  MAX_IMAGE_SET_VALUES,
  DEFAULT_LOGIT_ALPHA,
  resolvePreprocess,
  preprocessForward,
  preprocessLogDet,
  preprocessInverse,
  bitsPerDim,
  drawImagesCpu,
  checkImageSet,
  type ImageSet,
  type ImageBatch,
  type ImageDatasetSpec,
  type ShippedImageDatasetSpec,
  type CustomImageDatasetSpec,
  type ImageDatasetName,
  type ImageDatasetSize,
  type ImageSplit,
  type ImageSampleOptions,
  type ImageLoadOptions,
  type ImageLoadProgress,
  type ImagePreprocess,
  type ImagePreprocessSpec,
  type ImageTransform,
  type ImageDrawRequest,
  type DrawnItems,
} from './data';
export {
  TrainingRun,
  NonFiniteLossError,
  TrainOptionsError,
  TRAIN_LIMITS,
  type TrainOptions,
  type TrainProgress,
  type TrainSummary,
  type TrainableModel,
} from './lab/training';
// Image models (issue #16): NICE, RealNVP and Glow on images, trained by lab.train on an image dataset.
export {
  LabNice,
  type LabImageModel,
  type ImageModelSpec,
  type ResolvedImageModelSpec,
  type ImageModelSampleOptions,
  type BitsPerDimOptions,
  type BitsPerDimEstimate,
} from './lab/image-models';
export {
  NICE_LIMITS,
  IMAGE_FLOW_PRIORS,
  type NiceModelSpec,
  type ImageFlowPrior,
} from './models/image-flows/nice-spec';
// RealNVP (multi-scale) and Glow on images (issue #16 item 1): the same LabImageModel.
export {
  MULTISCALE_LIMITS,
  resolveMultiscaleSpec,
  type RealNvpImageSpec,
  type GlowImageSpec,
  type MultiscaleImageSpec,
  type ResolvedMultiscaleSpec,
} from './models/image-flows/multiscale-spec';
export {
  LabImageFlowMatching,
  LabImageDdpm,
  type LabImageDiffusionModel,
  type ImageDiffusionSampleOptions,
  type ImageDiffusionSpec,
  type ResolvedImageDiffusionSpec,
  type ImageFlowMatchingSpec,
  type ResolvedImageFlowMatchingSpec,
  type ImageFmSampler,
  type ImageDdpmSpec,
  type ResolvedImageDdpmSpec,
  type ImageDdpmSampler,
  type ImageWeights,
  type ImageFilmStrip,
  FILM_STRIP_COLUMNS,
  type OdeBitsPerDimOptions,
  type OdeBitsPerDimEstimate,
} from './lab/image-diffusion';
export {
  interpolateImages,
  interpolateLatent,
  INTERPOLATION_PATHS,
  INTERPOLATION_FRAMES,
  type InterpolationPath,
  type ImageInterpolationOptions,
} from './lab/image-interpolation';
export {
  NearestImageSearch,
  nearestImagesCpu,
  MAX_NEAREST_QUERIES,
  type NearestImages,
} from './lab/image-nearest';
export {
  frechetDistance,
  gaussianFrechetDistance,
  meanAndCovariance,
  symmetricEigen,
  symmetricSqrt,
} from './lab/frechet';
export {
  FeatureClassifier,
  FEATURE_DIMS,
  type FeatureClassifierInfo,
} from './lab/feature-classifier';
export {
  imageFrechetDistance,
  featureClassifier,
  type ImageFrechetEstimate,
} from './lab/image-frechet';
export { IMAGE_FM_LIMITS, IMAGE_FM_SAMPLERS } from './models/image-diffusion/fm-spec';
export { IMAGE_DDPM_SAMPLERS } from './models/image-diffusion/ddpm-spec';
export { checkGuidance, type Guidance } from './models/image-diffusion/guidance-reference';
export { LabFlow, type LabModel, type ModelSpec, type TrainingData } from './lab/models';
export { LabDiffusion } from './lab/diffusion';
export {
  DIFFUSION_KINDS,
  DIFFUSION_LIMITS,
  PAIRINGS,
  type Pairing,
  /** @deprecated Renamed PAIRINGS (0.3; see the README's migration note). */
  COUPLINGS,
  /** @deprecated Renamed Pairing (0.3). */
  type Coupling,
  type DiffusionKind,
  type DiffusionModelSpec,
} from './models/diffusion/spec';
export { MAX_OT_BATCH } from './models/diffusion/assignment';
export {
  ReflowPairs,
  MAX_REFLOW_PAIRS,
  type ReflowPairOptions,
  type ReflowSource,
} from './models/diffusion/reflow';
export {
  ModelSpecError,
  FLOW_KINDS,
  FLOW_LIMITS,
  type FlowKind,
  type FlowModelSpec,
} from './models/flows/flow-spec';
export type { OptimizerSpec, ScheduleSpec } from './nn/optimizer-config';
export { ACTIVATIONS, type Activation } from './nn/activations';
export { ParameterLayout, type ParameterView, type InitScheme } from './nn/parameters';
// Image layers (issue #15): GPU layers with forward/backward WGSL kernels and float64 twins.
export * from './nn/conv';
export {
  exportPytorchProject,
  exportDatasetSpec,
  ExportError,
  DATA_POOL,
  zip,
  unzip,
  ZipError,
  readImageFiles,
  ImageFilesError,
  MAX_IMAGE_FILE_PIXELS,
  type UnzipResult,
  type ImageFilesOptions,
  type ImageFilesResult,
  type NamedBlob,
  type ExportedFile,
  type PytorchExportOptions,
} from './export';
// The notebook codec and file helpers (pure TS, no GPU): also the whole notebook module as the
// package's `@flowfield/lab/notebook` entry.
export {
  encodeShareLink,
  decodeShareLink,
  SHARE_LINK_BUDGET,
  maxQuantizationError,
  notebookToFile,
  notebookFromFile,
  readNotebookFile,
  parseNotebook,
  migrateNotebook,
  NotebookError,
  NOTEBOOK_VERSION,
  paramsHash,
  writeSafetensors,
  readSafetensors,
  modelSafetensors,
  weightsForNotebook,
  type WeightsTarget,
  type Notebook,
  type Cell,
  type SharePayload,
  type ModelWeights,
  type Tensor,
  type ParameterSlice,
  type NotebookErrorCode,
} from './notebook';
