/**
 * The Python files of an exported project: the real files of python/ (linted and tested there),
 * bundled as text. Paths are those inside the exported folder.
 */
import initPy from '../../python/flowfield_torch/__init__.py';
import assignmentPy from '../../python/flowfield_torch/assignment.py';
import batchesPy from '../../python/flowfield_torch/batches.py';
import configPy from '../../python/flowfield_torch/config.py';
import dataPy from '../../python/flowfield_torch/data.py';
import densitiesPy from '../../python/flowfield_torch/densities.py';
import diffusionPy from '../../python/flowfield_torch/diffusion.py';
import emaPy from '../../python/flowfield_torch/ema.py';
import flowsPy from '../../python/flowfield_torch/flows.py';
import imageDataPy from '../../python/flowfield_torch/image_data.py';
import imageFlowsPy from '../../python/flowfield_torch/image_flows.py';
import layoutPy from '../../python/flowfield_torch/layout.py';
import nnPy from '../../python/flowfield_torch/nn.py';
import philoxPy from '../../python/flowfield_torch/philox.py';
import reflowPy from '../../python/flowfield_torch/reflow.py';
import samplingPy from '../../python/flowfield_torch/sampling.py';
import stIoPy from '../../python/flowfield_torch/st_io.py';
import trainingPy from '../../python/flowfield_torch/training.py';
import weightsPy from '../../python/flowfield_torch/weights.py';
import trainPy from '../../python/train.py';
import samplePy from '../../python/sample.py';
import readme from '../../python/EXPORT_README.md';

export const PYTHON_FILES: Readonly<Record<string, string>> = {
  'flowfield_torch/__init__.py': initPy,
  'flowfield_torch/assignment.py': assignmentPy,
  'flowfield_torch/batches.py': batchesPy,
  'flowfield_torch/config.py': configPy,
  'flowfield_torch/data.py': dataPy,
  'flowfield_torch/densities.py': densitiesPy,
  'flowfield_torch/diffusion.py': diffusionPy,
  'flowfield_torch/ema.py': emaPy,
  'flowfield_torch/flows.py': flowsPy,
  'flowfield_torch/image_data.py': imageDataPy,
  'flowfield_torch/image_flows.py': imageFlowsPy,
  'flowfield_torch/layout.py': layoutPy,
  'flowfield_torch/nn.py': nnPy,
  'flowfield_torch/philox.py': philoxPy,
  'flowfield_torch/reflow.py': reflowPy,
  'flowfield_torch/sampling.py': samplingPy,
  'flowfield_torch/st_io.py': stIoPy,
  'flowfield_torch/training.py': trainingPy,
  'flowfield_torch/weights.py': weightsPy,
  'train.py': trainPy,
  'sample.py': samplePy,
};

/** The exported README, with {{TITLE}}, {{MODEL}}, {{TRAIN}} and {{TRAIN_ID}} to fill in. */
export const README_TEMPLATE: string = readme;
