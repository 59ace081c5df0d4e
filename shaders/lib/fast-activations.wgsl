// Cheaper activations for the sampling-only kernels (fused-inverse.wgsl, fused-sampler.wgsl;
// issue #19), on vec4 lanes. Links after activations.wgsl (act_apply for the other kinds).
// On SwiftShader the builtin tanh cost about a third of a RealNVP generator's time (relu
// instead of tanh: 240 → 166 ms for 4096 samples): here tanh is a rational function (the
// odd 13/6 minimax fit Eigen uses for float tanh: one division, no exp), and the sigmoid takes
// one division where act_sigmoid takes two. Both within a few float32 ulps of the builtins
// (test/models/flows/fused-inverse.test.ts and fused-sampler.test.ts hold the fused samples to
// the layer-by-layer / staged paths and the float64 twins); training keeps activations.wgsl.

fn fast_tanh4(z: vec4<f32>) -> vec4<f32> {
  // tanh(±7.905…) rounds to ±1 in float32; the fit is for |x| below that.
  let x = clamp(z, vec4<f32>(-7.90531110763549805), vec4<f32>(7.90531110763549805));
  let x2 = x * x;
  var p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = p * x2 + -8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-08;
  p = p * x2 + 1.48572235717979e-05;
  p = p * x2 + 6.37261928875436e-04;
  p = p * x2 + 4.89352455891786e-03;
  p = p * x;
  var q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04;
  q = q * x2 + 2.26843463243900e-03;
  q = q * x2 + 4.89352518554385e-03;
  // Below 4e-4, tanh(x) = x to float32 precision (the fit's own rule).
  return select(p / q, x, abs(x) < vec4<f32>(0.0004));
}

fn fast_sigmoid4(z: vec4<f32>) -> vec4<f32> {
  // Stable for both signs, as act_sigmoid: exp of a non-positive number never overflows.
  let e = exp(-abs(z));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, z >= vec4<f32>(0.0));
}

fn fast_act4(kind: u32, z: vec4<f32>) -> vec4<f32> {
  switch (kind) {
    case 3u: { return fast_tanh4(z); }
    case 4u: { return z * fast_sigmoid4(z); }
    default: {
      return vec4<f32>(act_apply(kind, z.x), act_apply(kind, z.y), act_apply(kind, z.z), act_apply(kind, z.w));
    }
  }
}
