/**
 * A notebook's plain settings as the worker's specs (datasets, models, runs). The pretrain page
 * trains gallery notebooks through the same LabApi the app uses, with exactly the app's
 * mappings (one source: the worker client), so shipped weights fit the models the app builds.
 */
export {
  datasetSpec as datasetSpecOf,
  modelSpec as modelSpecOf,
  runOptions as runOptionsOf,
} from '../ui/controllers/worker-lab-client';
