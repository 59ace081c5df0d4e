/**
 * Flowfield's own implementation of the DDPM MLP workload (#6).
 * Until the training engine (src/nn/) lands, every workload of this family is reported as
 * "missing". To plug the engine in: drop `missing`, implement `setup` returning a Session
 * that follows the contract in bench/README.md ("Writing a Flowfield case").
 */
import type { Implementation } from '../harness/types';
import type { DdpmConfig } from './workloads';

export const flowfieldDdpm: Implementation<DdpmConfig> = {
  impl: 'flowfield',
  missing: 'engine not merged yet',
  setup() {
    return Promise.reject(new Error('flowfield-ddpm: engine not merged yet'));
  },
};
