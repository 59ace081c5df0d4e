// Image pre-processing, exactly invertible, per pixel: forward, its log|dz/dv| and the inverse
// side by side. Twin: src/data/images/preprocess.ts (float64). A pixel x ∈ {0…255} becomes
//   v = x + u                      u: dequantization noise in (0, 1) on a 2^-15 grid (x + u is
//                                  exact in f32), or ½ (the bin's centre) without dequantization
//   transform 0 'pixels'  z = v                                   log|dz/dv| = 0
//   transform 1 'unit'    z = y = v / 256                         log|dz/dv| = −ln 256
//   transform 2 'logit'   s = α + (1 − 2α) y, z = ln s − ln(1 − s) log|dz/dv| = −ln 256 + ln(1 − 2α) − ln s − ln(1 − s)
//   transform 3 'scale'   z = 2y − 1 ∈ (−1, 1)                     log|dz/dv| = ln 2 − ln 256
// and back: x = clamp(⌊256 y⌋, 0, 255).

const IMAGE_LN_256: f32 = 5.545177444479562;
const IMAGE_LN_2: f32 = 0.6931471805599453;

// u from a Philox word: the top 15 bits, centred, (k + ½) / 2^15.
fn image_noise(bits: u32) -> f32 {
  return (f32(bits >> 17u) + 0.5) * (1.0 / 32768.0);
}

fn image_forward(v: f32, transform: u32, alpha: f32) -> f32 {
  let y = v * (1.0 / 256.0);
  switch (transform) {
    case 1u: { return y; }
    case 2u: {
      let s = alpha + (1.0 - 2.0 * alpha) * y;
      return log(s) - log(1.0 - s);
    }
    case 3u: { return 2.0 * y - 1.0; }
    default: { return v; }
  }
}

fn image_log_det(v: f32, transform: u32, alpha: f32) -> f32 {
  switch (transform) {
    case 1u: { return -IMAGE_LN_256; }
    case 2u: {
      let s = alpha + (1.0 - 2.0 * alpha) * (v * (1.0 / 256.0));
      return -IMAGE_LN_256 + log(1.0 - 2.0 * alpha) - log(s) - log(1.0 - s);
    }
    case 3u: { return IMAGE_LN_2 - IMAGE_LN_256; }
    default: { return 0.0; }
  }
}

// y = v / 256 from z (the inverse of the transform before the floor).
fn image_inverse_unit(z: f32, transform: u32, alpha: f32) -> f32 {
  switch (transform) {
    case 1u: { return z; }
    case 2u: {
      let s = 1.0 / (1.0 + exp(-z));
      return (s - alpha) / (1.0 - 2.0 * alpha);
    }
    case 3u: { return 0.5 * (z + 1.0); }
    default: { return z * (1.0 / 256.0); }
  }
}

fn image_inverse(z: f32, transform: u32, alpha: f32) -> u32 {
  let level = floor(256.0 * image_inverse_unit(z, transform, alpha));
  return u32(clamp(level, 0.0, 255.0));
}
