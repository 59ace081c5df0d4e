/**
 * The case registry: every workload of a family × every implementation of that family, in that
 * order, so the implementations of one group run next to each other (same-run ratios).
 */
import type { BenchCase, Config, Implementation, Workload } from '../harness/types';
import { flowfieldConv } from './flowfield-conv';
import { flowfieldDdpm } from './flowfield-ddpm';
import {
  flowfieldDiffusionSample,
  flowfieldDiffusionSampleFused,
} from './flowfield-diffusion-sample';
import { flowfieldMlp } from './flowfield-mlp';
import { flowfieldNice, flowfieldNicePlain, NICE_WORKLOADS } from './flowfield-nice';
import { flowfieldImageFlow, IMAGE_FLOW_WORKLOADS } from './flowfield-image-flows';
import { flowfieldFlow, flowfieldRealNvp, flowfieldRealNvpPlain } from './flowfield-realnvp';
import { flowfieldUNet } from './flowfield-unet';
import { tfjsConv } from './tfjs/conv';
import { tfjsDdpm } from './tfjs/ddpm';
import { tfjsDiffusionSample } from './tfjs/diffusion-sample';
import { tfjsMlp } from './tfjs/mlp';
import { tfjsNice } from './tfjs/nice';
import { tfjsRealNvp } from './tfjs/realnvp';
import { tfjsUNet } from './tfjs/unet';
import {
  CONV_WORKLOADS,
  DDPM_WORKLOADS,
  DIFFUSION_SAMPLE_WORKLOADS,
  MLP_WORKLOADS,
  REALNVP_WORKLOADS,
  SPLINE_WORKLOADS,
  UNET_WORKLOADS,
} from './workloads';

function cross<C extends Config>(
  workloads: readonly Workload<C>[],
  implementations: readonly Implementation<C>[],
): BenchCase[] {
  return workloads.flatMap((workload) =>
    implementations.map((implementation) => ({
      id: `${workload.group}@${implementation.impl}`,
      workload: workload as Workload,
      implementation: implementation as unknown as Implementation,
    })),
  );
}

export const CASES: readonly BenchCase[] = [
  ...cross(MLP_WORKLOADS, [flowfieldMlp, tfjsMlp('tfjs-webgpu'), tfjsMlp('tfjs-wasm')]),
  ...cross(
    REALNVP_WORKLOADS.filter((w) => w.kind !== 'sample'),
    [flowfieldRealNvp, tfjsRealNvp('tfjs-webgpu'), tfjsRealNvp('tfjs-wasm')],
  ),
  // Sampling also with a same-run peer: the fused generator without subgroup weight sharing.
  ...cross(
    REALNVP_WORKLOADS.filter((w) => w.kind === 'sample'),
    [flowfieldRealNvp, flowfieldRealNvpPlain, tfjsRealNvp('tfjs-webgpu'), tfjsRealNvp('tfjs-wasm')],
  ),
  ...cross(SPLINE_WORKLOADS, [flowfieldFlow('spline')]),
  ...cross(DDPM_WORKLOADS, [flowfieldDdpm, tfjsDdpm('tfjs-webgpu'), tfjsDdpm('tfjs-wasm')]),
  ...cross(DIFFUSION_SAMPLE_WORKLOADS, [
    flowfieldDiffusionSample,
    flowfieldDiffusionSampleFused,
    tfjsDiffusionSample('tfjs-webgpu'),
    tfjsDiffusionSample('tfjs-wasm'),
  ]),
  ...cross(CONV_WORKLOADS, [flowfieldConv, tfjsConv('tfjs-webgpu'), tfjsConv('tfjs-wasm')]),
  ...cross(UNET_WORKLOADS, [flowfieldUNet, tfjsUNet('tfjs-webgpu'), tfjsUNet('tfjs-wasm')]),
  ...cross(NICE_WORKLOADS, [
    flowfieldNice,
    flowfieldNicePlain,
    tfjsNice('tfjs-webgpu'),
    tfjsNice('tfjs-wasm'),
  ]),
  ...cross(IMAGE_FLOW_WORKLOADS, [flowfieldImageFlow]),
];
