"""What train.py trains on besides a point pool: the built-in densities drawn each step (their
distributions against the playground's are checked in test/torch/datasets.test.ts), clear
messages for bad density settings, and the EMA of the weights (the playground's recurrence,
checked against the trajectory of the weights; kept across --resume)."""

import os
import tempfile
import unittest

import torch

import helpers
from flowfield_torch import st_io
from flowfield_torch.data import DataError, load_data
from flowfield_torch.densities import SAMPLERS, DensityError, sample_density
from flowfield_torch.training import train

DDPM = {"family": "diffusion", "kind": "ddpm", "hidden": 8, "hiddenLayers": 1, "activation": "silu", "seed": 5,
        "timesteps": 50, "noiseSchedule": "linear", "prediction": "eps"}
TRAIN = {"optimizer": "adam", "learningRate": 1e-2, "schedule": "constant", "batch": 32, "steps": 6}


def quiet(*_):
    pass


class Densities(unittest.TestCase):
    def test_every_density_draws_finite_points_reproducibly(self):
        for name in SAMPLERS:
            with self.subTest(name):
                a = sample_density(name, {}, 500, torch.Generator().manual_seed(1))
                b = sample_density(name, {}, 500, torch.Generator().manual_seed(1))
                self.assertEqual(tuple(a.shape), (500, 2))
                self.assertTrue(bool(torch.isfinite(a).all()))
                self.assertTrue(torch.equal(a, b), "the same generator state gives the same points")

    def test_bad_names_and_parameters_say_what_is_expected(self):
        with self.assertRaisesRegex(DensityError, "must be one of gaussian, moons.*found 'moon'"):
            sample_density("moon", {}, 4)
        with self.assertRaisesRegex(DensityError, r"unknown sigma \(its parameters: noise\)"):
            sample_density("moons", {"sigma": 0.1}, 4)

    def test_train_draws_a_builtin_density_each_step(self):
        with tempfile.TemporaryDirectory() as folder:
            config = helpers.make_export(folder, DDPM, TRAIN, builtin={"name": "moons", "params": {"noise": 0.1}})
            self.assertFalse(os.path.exists(os.path.join(folder, "data.safetensors")))
            data = load_data(folder, config)
            x1, _ = data.draw(4096, torch.Generator().manual_seed(0))
            x2, _ = data.draw(4096, torch.Generator().manual_seed(1))
            self.assertFalse(torch.equal(x1, x2), "fresh points for another step")
            # Model coordinates: (x − shift)/scale with the exported numbers.
            raw = sample_density("moons", {"noise": 0.1}, 4096, torch.Generator().manual_seed(0))
            n = config["data"]["normalization"]
            self.assertTrue(torch.allclose(x1, (raw - torch.tensor(n["shift"])) / torch.tensor(n["scale"])))
            model = train(folder, os.path.join(folder, "out"), log=quiet)
            self.assertTrue(bool(torch.isfinite(model.params).all()))
            config["data"]["source"]["name"] = "banana"
            with self.assertRaisesRegex(DensityError, "found 'banana'"):
                load_data(folder, config)
            del config["data"]["normalization"]
            with self.assertRaisesRegex(DataError, "data.normalization"):
                load_data(folder, config)


class ExponentialMovingAverage(unittest.TestCase):
    def weights_after(self, folder, steps, out, resume=False):
        train(folder, os.path.join(folder, out), steps=steps, resume=resume, log=quiet)
        state = torch.load(os.path.join(folder, out, "checkpoint.pt"))
        return state, st_io.load(os.path.join(folder, out, "weights.safetensors"))

    def test_ema_follows_the_playground_recurrence_and_survives_resume(self):
        decay, steps = 0.8, 5
        with tempfile.TemporaryDirectory() as folder:
            helpers.make_export(folder, DDPM, {**TRAIN, "steps": steps}, ema=decay)
            # The trajectory θ_0 … θ_K, one run per length (training is deterministic).
            trajectory = [self.weights_after(folder, k, f"k{k}")[0]["params"].double() for k in range(steps + 1)]
            ema = trajectory[0].clone()
            for theta in trajectory[1:]:
                ema = decay * ema + (1 - decay) * theta
            state, (tensors, metadata) = self.weights_after(folder, steps, "full")
            self.assertLess(float((state["ema"].double() - ema).abs().max()), 1e-6)
            self.assertGreater(float((ema - trajectory[-1]).abs().max()), 1e-3, "the EMA lags the weights")
            # The file the playground opens carries the sampling weights: the EMA.
            self.assertTrue(torch.equal(tensors["params"], state["ema"]))
            self.assertTrue(torch.equal(state["params"], trajectory[-1].float()), "the checkpoint keeps the weights")
            # Interrupted at step 2 and resumed: the same EMA.
            self.weights_after(folder, 2, "resumed")
            resumed, _ = self.weights_after(folder, steps, "resumed", resume=True)
            self.assertTrue(torch.equal(resumed["ema"], state["ema"]))


if __name__ == "__main__":
    unittest.main()
