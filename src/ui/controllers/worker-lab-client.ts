/**
 * LabClient over the Flowfield worker. Today the worker exposes only probe(); the training and
 * sampling calls report plainly that the worker does not offer them yet (see the LabApi notes in
 * README "Playground"), so the page stays usable and tells the user what is missing.
 */
import type { Remote } from 'comlink';
import type { WorkerApi } from '../../worker/api';
import { NotAvailableError, type LabClient } from './lab-client';

function missing(what: string): Promise<never> {
  return Promise.reject(
    new NotAvailableError(
      `This build's worker cannot ${what} yet: its LabApi is still being built.`,
    ),
  );
}

export function workerLabClient(api: Remote<WorkerApi>): LabClient {
  return {
    probe: () => api.probe(),
    sampleData: () => missing('sample datasets'),
    createRun: () => missing('create models'),
    train: () => missing('train models'),
    pause: () => missing('pause training'),
    resume: () => missing('resume training'),
    stop: () => Promise.resolve(),
    setLearningRate: () => missing('change the learning rate'),
    sampleModel: () => missing('sample models'),
    disposeRun: () => Promise.resolve(),
  };
}
