"""Properties of the PyTorch models that the GPU parity test does not cover: every flow is
invertible with log|det| equal to the Jacobian's (autograd), and the minibatch-OT pairing is the
minimum-cost assignment (against every permutation)."""

import itertools
import unittest

import torch

import helpers
from flowfield_torch import FlowModel
from flowfield_torch.assignment import ot_pairing

assert helpers.PYTHON  # importing helpers put python/ (flowfield_torch) on the path


class Flows(unittest.TestCase):
    def test_inverse_and_log_det_of_every_kind(self):
        g = torch.Generator().manual_seed(0)
        for kind in ("nice", "realnvp", "glow", "spline"):
            with self.subTest(kind):
                model = FlowModel(kind, 3, 8, 2, "tanh", seed=4).double()
                with torch.no_grad():
                    model.params.add_(0.3 * torch.randn(model.params.shape, generator=g, dtype=torch.float64))
                x = 1.5 * torch.randn(16, 2, generator=g, dtype=torch.float64)
                z, log_det = model.forward_model(x)
                self.assertLess(float((model.inverse_model(z) - x).abs().max()), 1e-10)
                for b in range(16):
                    jac = torch.autograd.functional.jacobian(lambda p: model.forward_model(p.unsqueeze(0))[0][0], x[b])
                    self.assertAlmostEqual(float(torch.linalg.slogdet(jac)[1]), float(log_det[b]), places=9)


class OtPairing(unittest.TestCase):
    def test_minimum_cost_over_all_permutations(self):
        g = torch.Generator().manual_seed(1)
        for trial in range(5):
            x = torch.randn(6, 2, generator=g)
            eps = torch.randn(6, 2, generator=g)
            cost = torch.cdist(x.double(), eps.double()) ** 2
            perm = ot_pairing(x, eps).tolist()
            self.assertEqual(sorted(perm), list(range(6)))
            best = min(sum(float(cost[i, p[i]]) for i in range(6)) for p in itertools.permutations(range(6)))
            self.assertAlmostEqual(sum(float(cost[i, perm[i]]) for i in range(6)), best, places=9)


if __name__ == "__main__":
    unittest.main()
