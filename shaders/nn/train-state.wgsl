// The training state that lives on the GPU, so many steps run per submit with no upload:
// the step counter, the learning rate in use, the gradient norm and clipping scale, and the
// index of the first step whose loss was not finite. Layout mirrored in src/nn/train-state.ts.

struct TrainState {
  // Optimizer steps completed; the step being computed has index `step` (0-based).
  step: u32,
  lr: f32,
  grad_norm: f32,
  clip_scale: f32,
  // 0xFFFFFFFF while every loss so far was finite; else the index of the first bad step.
  first_nonfinite_step: u32,
  last_loss: f32,
  pad0: u32,
  pad1: u32,
}

const LOSS_HISTORY: u32 = 4096u;

fn is_finite(x: f32) -> bool {
  // NaN fails every comparison; ±Inf exceeds the largest finite f32.
  return abs(x) <= 3.4028234e38;
}
