/** The note a new notebook starts with (drawn from the seed notes on flows and diffusion). */
export const INTRO_NOTE = `# Flows: an encoder you can run backwards

A normalizing flow learns an **invertible encoder** $f$ that maps a data point $x$ to a latent
$z = f(x)$ that should look like a standard normal, $z \\sim \\mathcal{N}(0, I)$. Because $f$ is
invertible, the encoder gives us the **generator** for free: draw $z$, return $x = f^{-1}(z)$.

Training maximises the exact likelihood given by the change of variables:

$$\\log p(x) = \\log \\mathcal{N}(f(x); 0, I) + \\log \\left|\\det \\frac{\\partial f}{\\partial x}\\right|$$

For this to be cheap, each layer must be easy to invert *and* have an easy Jacobian determinant.
NICE's **additive coupling** splits $x$ into halves $x_A, x_B$ and shifts one by a network of the
other: $y_A = x_A$, $y_B = x_B + m(x_A)$. Its inverse is $x_B = y_B - m(y_A)$ and its
determinant is exactly 1; a final **scaling** layer $y = x \\odot e^{s}$ adds $\\sum s$.

Press **Train** below, then watch the samples in the View cell. Try another dataset or model.`;
