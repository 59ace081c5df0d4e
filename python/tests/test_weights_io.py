"""safetensors and weights: the playground's layout, and bad input that names the problem and
changes nothing."""

import json
import os
import struct
import tempfile
import unittest

import torch

import helpers
from flowfield_torch import FlowModel, st_io
from flowfield_torch.config import ConfigError, build_model, load_config
from flowfield_torch.weights import WeightsError, load_weights, save_weights

assert helpers.PYTHON  # importing helpers put python/ (flowfield_torch) on the path


class SafetensorsFormat(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "w.safetensors")

    def tearDown(self):
        self.dir.cleanup()

    def test_layout_round_trip(self):
        a = torch.randn(3, 5)
        st_io.save(self.path, {"a": a, "b": torch.tensor([1.5])}, {"k": "v"})
        data = open(self.path, "rb").read()
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual(n % 8, 0, "header padded to a multiple of 8")
        header = json.loads(data[8 : 8 + n])
        self.assertEqual(header["a"], {"dtype": "F32", "shape": [3, 5], "data_offsets": [0, 60]})
        self.assertEqual(header["b"]["data_offsets"], [60, 64])
        self.assertEqual(header["__metadata__"], {"k": "v"})
        tensors, metadata = st_io.load(self.path)
        self.assertTrue(torch.equal(tensors["a"], a))
        self.assertEqual(metadata, {"k": "v"})

    def test_f16_is_read(self):
        header = json.dumps({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
        header += b" " * ((8 - len(header) % 8) % 8)
        data = struct.pack("<Q", len(header)) + header + struct.pack("<2e", 0.5, -2.0)
        tensors, _ = st_io.loads(data)
        self.assertEqual(tensors["h"].tolist(), [0.5, -2.0])

    def test_corrupted_files_name_the_problem(self):
        st_io.save(self.path, {"a": torch.randn(4)})
        good = open(self.path, "rb").read()
        cases = {
            "truncated": (good[:-3], 'tensor "a" ends at byte 16 of the data, but the file holds 13 (truncated?)'),
            "short": (good[:5], "shorter than its 8-byte header length"),
            "header length": (struct.pack("<Q", 10**6) + good[8:], "header says it is 1000000 bytes long"),
            "not json": (good[:8] + b"\xff" + good[9:], "header is not UTF-8 JSON"),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                with self.assertRaises(st_io.SafetensorsError) as caught:
                    st_io.loads(data, "bad.safetensors")
                self.assertIn(message, str(caught.exception))
                self.assertIn("bad.safetensors", str(caught.exception))

    def test_a_failed_save_leaves_the_old_file_and_no_partial_one(self):
        st_io.save(self.path, {"a": torch.ones(2)})
        before = open(self.path, "rb").read()
        with self.assertRaises(Exception):
            st_io.save(self.path, {"a": torch.ones(2), "b": "not a tensor"})
        self.assertEqual(open(self.path, "rb").read(), before)
        self.assertEqual(os.listdir(self.dir.name), ["w.safetensors"])


class Weights(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "w.safetensors")
        self.settings = {"family": "flow", "kind": "realnvp", "layers": 2, "hidden": 8, "hiddenLayers": 2, "activation": "tanh", "seed": 1}

    def tearDown(self):
        self.dir.cleanup()

    def test_flat_and_per_name_files_load_the_same_weights(self):
        model = build_model(self.settings)
        with torch.no_grad():
            model.params.add_(torch.randn(model.params.shape))
        save_weights(self.path, model, self.settings, 7, "train1", {"shift": [1, 2], "scale": [3, 4]})
        other = build_model(self.settings)
        metadata = load_weights(self.path, other)
        self.assertTrue(torch.equal(other.params, model.params))
        self.assertEqual(other.scale.tolist(), [3, 4])
        self.assertEqual(json.loads(metadata["flowfield.model"]), self.settings)
        self.assertEqual(metadata["flowfield.steps"], "7")
        # The per-layer form (modelSafetensors with slices): one tensor per layout name.
        views = {v.name: model.params[v.offset : v.offset + v.length].reshape(v.shape) for v in model.layout.views}
        st_io.save(self.path, views)
        third = build_model(self.settings)
        load_weights(self.path, third)
        self.assertTrue(torch.equal(third.params, model.params))

    def test_wrong_shapes_and_missing_tensors_change_nothing(self):
        wide = dict(self.settings, hidden=16)
        save_weights(self.path, build_model(wide), wide, 0, "t")
        model = build_model(self.settings)
        before = model.params.detach().clone()
        with self.assertRaises(WeightsError) as caught:
            load_weights(self.path, model)
        self.assertIn(f'tensor "params" has shape [{build_model(wide).layout.total}]', str(caught.exception))
        self.assertIn(f"expects [{model.layout.total}]", str(caught.exception))
        st_io.save(self.path, {"coupling0.0.weight": torch.zeros(8, 1)})
        with self.assertRaises(WeightsError) as caught:
            load_weights(self.path, model)
        self.assertIn('tensor "coupling0.0.bias" (shape [8]) is missing', str(caught.exception))
        st_io.save(self.path, {"coupling0.0.weight": torch.zeros(1, 8)})
        with self.assertRaises(WeightsError) as caught:
            load_weights(self.path, model)
        self.assertIn('tensor "coupling0.0.weight" has shape [1, 8], expected [8, 1]', str(caught.exception))
        self.assertTrue(torch.equal(model.params, before))

    def test_bad_configs_say_what_was_expected(self):
        path = os.path.join(self.dir.name, "config.json")
        with open(path, "w") as f:
            json.dump({"format": "something else"}, f)
        with self.assertRaises(ConfigError) as caught:
            load_config(path)
        self.assertIn('expected a Flowfield export ("format": "flowfield-torch")', str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            FlowModel("maf", 2, 8)
        self.assertIn("must be one of nice, realnvp, glow, spline, got 'maf'", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
