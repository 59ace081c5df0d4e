/**
 * Perceptually uniform colour maps for heatmaps: lightness rises steadily from the bottom of the
 * range to the top, so the brightest pixel is the most likely place. Viridis and magma are
 * matplotlib's (van der Walt & Smith, CC0), every 5th of their 256 entries: linear interpolation
 * between these stops stays within 0.0026 of the full tables, under one 8-bit level.
 */

export const COLORMAP_NAMES = ['viridis', 'magma'] as const;
export type ColormapName = (typeof COLORMAP_NAMES)[number];

/** sRGB stops in [0, 1], evenly spaced from the bottom (0) to the top (1) of the range. */
export const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0.267004, 0.004874, 0.329415],
  [0.273809, 0.031497, 0.358853],
  [0.278791, 0.062145, 0.386592],
  [0.281924, 0.089666, 0.412415],
  [0.283197, 0.11568, 0.436115],
  [0.282623, 0.140926, 0.457517],
  [0.280255, 0.165693, 0.476498],
  [0.276194, 0.190074, 0.493001],
  [0.270595, 0.214069, 0.507052],
  [0.263663, 0.237631, 0.518762],
  [0.255645, 0.260703, 0.528312],
  [0.246811, 0.283237, 0.535941],
  [0.237441, 0.305202, 0.541921],
  [0.227802, 0.326594, 0.546532],
  [0.21813, 0.347432, 0.550038],
  [0.208623, 0.367752, 0.552675],
  [0.19943, 0.387607, 0.554642],
  [0.190631, 0.407061, 0.556089],
  [0.182256, 0.426184, 0.55712],
  [0.174274, 0.445044, 0.557792],
  [0.166617, 0.463708, 0.558119],
  [0.159194, 0.482237, 0.558073],
  [0.151918, 0.500685, 0.557587],
  [0.144759, 0.519093, 0.556572],
  [0.13777, 0.537492, 0.554906],
  [0.131172, 0.555899, 0.552459],
  [0.125394, 0.574318, 0.549086],
  [0.121148, 0.592739, 0.544641],
  [0.119423, 0.611141, 0.538982],
  [0.12138, 0.629492, 0.531973],
  [0.128087, 0.647749, 0.523491],
  [0.14021, 0.665859, 0.513427],
  [0.157851, 0.683765, 0.501686],
  [0.180653, 0.701402, 0.488189],
  [0.20803, 0.718701, 0.472873],
  [0.239374, 0.735588, 0.455688],
  [0.274149, 0.751988, 0.436601],
  [0.311925, 0.767822, 0.415586],
  [0.35236, 0.783011, 0.392636],
  [0.395174, 0.797475, 0.367757],
  [0.440137, 0.811138, 0.340967],
  [0.487026, 0.823929, 0.312321],
  [0.535621, 0.835785, 0.281908],
  [0.585678, 0.846661, 0.249897],
  [0.636902, 0.856542, 0.21662],
  [0.688944, 0.865448, 0.182725],
  [0.741388, 0.873449, 0.149561],
  [0.79376, 0.880678, 0.120005],
  [0.845561, 0.887322, 0.099702],
  [0.89632, 0.893616, 0.096335],
  [0.945636, 0.899815, 0.112838],
  [0.993248, 0.906157, 0.143936],
];

export const MAGMA: readonly (readonly [number, number, number])[] = [
  [0.001462, 0.000466, 0.013866],
  [0.007588, 0.006356, 0.044973],
  [0.018815, 0.016026, 0.084584],
  [0.03552, 0.028397, 0.125209],
  [0.056615, 0.04216, 0.167446],
  [0.078815, 0.054184, 0.211667],
  [0.102815, 0.06301, 0.257854],
  [0.12938, 0.067935, 0.305443],
  [0.159018, 0.068354, 0.352688],
  [0.19146, 0.064818, 0.396152],
  [0.225302, 0.060445, 0.431742],
  [0.258857, 0.059706, 0.45771],
  [0.291366, 0.064553, 0.475462],
  [0.322899, 0.073782, 0.487408],
  [0.353773, 0.085373, 0.495501],
  [0.384299, 0.097855, 0.501002],
  [0.414709, 0.110431, 0.504662],
  [0.445163, 0.122724, 0.506901],
  [0.47578, 0.134577, 0.507921],
  [0.506629, 0.145958, 0.507806],
  [0.537755, 0.156894, 0.506551],
  [0.569172, 0.167454, 0.504105],
  [0.600868, 0.177743, 0.500394],
  [0.632805, 0.187893, 0.495332],
  [0.664915, 0.198075, 0.488836],
  [0.697098, 0.208501, 0.480835],
  [0.729216, 0.219437, 0.471279],
  [0.761077, 0.231214, 0.460162],
  [0.792427, 0.244242, 0.447543],
  [0.822926, 0.259016, 0.433573],
  [0.852126, 0.276106, 0.418573],
  [0.879464, 0.296125, 0.403118],
  [0.904281, 0.31961, 0.388137],
  [0.925937, 0.346844, 0.374959],
  [0.944006, 0.377643, 0.365136],
  [0.958464, 0.411324, 0.360014],
  [0.96968, 0.446936, 0.360311],
  [0.97821, 0.483612, 0.366025],
  [0.984622, 0.520713, 0.376698],
  [0.989363, 0.557873, 0.391671],
  [0.992785, 0.594891, 0.410283],
  [0.995122, 0.631696, 0.431951],
  [0.99658, 0.668256, 0.456192],
  [0.997254, 0.704611, 0.482635],
  [0.997285, 0.740772, 0.510983],
  [0.996727, 0.776795, 0.541039],
  [0.99568, 0.812706, 0.572645],
  [0.994222, 0.84854, 0.605696],
  [0.99244, 0.88433, 0.640099],
  [0.99057, 0.920049, 0.675675],
  [0.988717, 0.955742, 0.712242],
  [0.987053, 0.991438, 0.749504],
];

const COLORMAPS: Record<ColormapName, readonly (readonly [number, number, number])[]> = {
  viridis: VIRIDIS,
  magma: MAGMA,
};

export function colormapStops(name: ColormapName): readonly (readonly [number, number, number])[] {
  const stops = COLORMAPS[name];
  if (!stops) {
    throw new RangeError(
      `colormap must be one of ${COLORMAP_NAMES.join(', ')}, got "${String(name)}".`,
    );
  }
  return stops;
}

/** The stops as the `array<vec4<f32>, N>` uniform of shaders/render/heatmap.wgsl. */
export function colormapUniform(name: ColormapName): Float32Array {
  const stops = colormapStops(name);
  const out = new Float32Array(stops.length * 4);
  stops.forEach(([r, g, b], i) => out.set([r, g, b, 1], i * 4));
  return out;
}

/** The colour at t ∈ [0, 1] (clamped), as the shader computes it. */
export function colormapAt(name: ColormapName, t: number): [number, number, number] {
  const stops = colormapStops(name);
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const k = Math.min(Math.floor(x), stops.length - 2);
  const f = x - k;
  const a = stops[k]!;
  const b = stops[k + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** A CSS linear-gradient (bottom → top of the range, left to right) for the page's legend. */
export function colormapCss(name: ColormapName): string {
  const stops = colormapStops(name);
  const parts = stops
    .filter((_, i) => i % 3 === 0 || i === stops.length - 1)
    .map(
      ([r, g, b]) => `rgb(${Math.round(r * 255)} ${Math.round(g * 255)} ${Math.round(b * 255)})`,
    );
  return `linear-gradient(to right, ${parts.join(', ')})`;
}
