/**
 * Flowfield's own implementation of the MLP regression workload (#3 item 8).
 * Until the training engine (src/nn/) lands, every workload of this family is reported as
 * "missing". To plug the engine in: drop `missing`, implement `setup` returning a Session
 * that follows the contract in bench/README.md ("Writing a Flowfield case").
 */
import type { Implementation } from '../harness/types';
import type { MlpConfig } from './workloads';

export const flowfieldMlp: Implementation<MlpConfig> = {
  impl: 'flowfield',
  missing: 'engine not merged yet',
  setup() {
    return Promise.reject(new Error('flowfield-mlp: engine not merged yet'));
  },
};
