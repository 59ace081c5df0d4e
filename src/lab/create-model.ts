/**
 * The lab's model factory: a spec becomes a LabFlow or a LabDiffusion. It sits apart from
 * models.ts (the LabModel contract and LabFlow) so that diffusion.ts can implement that contract
 * without models.ts importing diffusion.ts back (no import cycle; scripts/import-cycles.mjs).
 */
import type { GpuRuntime } from '../gpu';
import { FlowModel } from '../models/flows/flow-model';
import { LabDiffusion } from './diffusion';
import { LabFlow, type LabModel, type ModelSpec } from './models';
import { asModelSpecError, unknownFamilyError } from './spec-errors';

export async function createLabModel(runtime: GpuRuntime, spec: ModelSpec): Promise<LabModel> {
  switch (spec.family) {
    case 'flow':
      return new LabFlow(await FlowModel.create(runtime, spec));
    case 'diffusion':
      try {
        return await LabDiffusion.create(runtime, spec);
      } catch (error) {
        throw asModelSpecError(error);
      }
    default:
      // lab.createModel hands the image families to their own factories before this one.
      throw unknownFamilyError(spec, ['flow', 'diffusion', 'image-flow', 'image-diffusion']);
  }
}
