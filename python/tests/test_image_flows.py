"""The exported image flow (flowfield_torch/image_flows.py, NICE) and its data: the inverse map,
log|det| against autograd's Jacobian, the asset reader against dist/data/manifest.json, and an
image notebook end to end through `flowfield export` (bin/flowfield.mjs, built by `npm run
build`): the image set travels byte for byte, train.py trains and writes the weights back into
the notebook file, sample.py draws images, and what the export cannot carry is refused by name.
The values against the playground's float64 twin: test/torch/image-flows.test.ts."""

import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

import helpers
from flowfield_torch.image_data import dequantize, read_asset, select_images
from flowfield_torch.image_flows import NiceImage
from make_image_fixtures import NOTEBOOK

ROOT = os.path.dirname(helpers.PYTHON)
DATA = os.path.join(ROOT, "dist", "data")


def export(*args):
    return subprocess.run(["node", os.path.join(ROOT, "bin", "flowfield.mjs"), "export", *args], capture_output=True, text=True, timeout=120)


class NiceImageMaps(unittest.TestCase):
    def model(self, prior):
        model = NiceImage([1, 4, 4], layers=3, hidden=7, hidden_layers=2, prior=prior, seed=2).double()
        with torch.no_grad():
            model.params.copy_(0.5 * torch.randn(model.layout.total, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
        return model

    def test_inverse_undoes_forward(self):
        for prior in ("logistic", "gaussian"):
            with self.subTest(prior):
                model = self.model(prior)
                y = torch.rand(5, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
                z, _ = model.forward_flow(y)
                self.assertGreater(float((z - y).abs().max()), 0.1, "the map is not the identity")
                self.assertLess(float((model.inverse(z) - y).abs().max()), 1e-12)

    def test_log_det_is_that_of_the_jacobian(self):
        model = self.model("logistic")
        y = torch.rand(16, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
        jacobian = torch.autograd.functional.jacobian(lambda v: model.forward_flow(v[None])[0][0], y)
        _, log_det = model.forward_flow(y[None])
        self.assertAlmostEqual(float(torch.linalg.slogdet(jacobian)[1]), float(log_det), places=10)

    def test_a_fresh_model_is_the_identity(self):
        model = NiceImage([1, 4, 4], layers=2, hidden=8, hidden_layers=1, seed=4)
        y = torch.rand(3, 16)
        z, log_det = model.forward_flow(y)
        self.assertTrue(torch.equal(z, y))
        self.assertEqual(float(log_det), 0.0)


@unittest.skipUnless(os.path.exists(os.path.join(DATA, "manifest.json")), "dist/data/ is built by `npm run build`")
class ImageData(unittest.TestCase):
    def test_asset_matches_the_manifest_and_splits(self):
        with open(os.path.join(DATA, "manifest.json")) as f:
            entry = json.load(f)["mnist-14"]
        pixels, labels, train = read_asset(os.path.join(DATA, entry["file"]))
        self.assertEqual(list(pixels.shape), [entry["count"], *entry["shape"]])
        self.assertEqual(train, entry["train"])
        test, _ = select_images(pixels, labels, train, "test")
        self.assertEqual(len(test), entry["test"])
        threes, kept = select_images(pixels, labels, train, "train", [3])
        self.assertTrue(bool((kept == 3).all()) and 0 < len(threes) < train)
        y = dequantize(pixels[:4], torch.Generator().manual_seed(0))
        # Dequantization stays inside each pixel's bin: ⌊256 y⌋ is the pixel.
        self.assertTrue(torch.equal(torch.floor(256 * y).to(torch.uint8), pixels[:4].reshape(4, -1)))


@unittest.skipUnless(os.path.exists(os.path.join(ROOT, "dist", "cli", "flowfield.mjs")), "the CLI is built by `npm run build`")
class ImageExport(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, *parts):
        return os.path.join(self.dir.name, *parts)

    def write(self, doc, name="nice.flowfield.json"):
        with open(self.path(name), "w") as f:
            json.dump(doc, f)
        return self.path(name)

    def test_nice_notebook_trains_and_its_weights_come_back(self):
        result = export(self.write(NOTEBOOK), "--out", self.path("nice"))
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(self.path("nice", "images", "mnist-14.bin.gz"), "rb") as a, open(os.path.join(DATA, "mnist-14.bin.gz"), "rb") as b:
            self.assertEqual(hashlib.sha256(a.read()).digest(), hashlib.sha256(b.read()).digest())
        with open(self.path("nice", "config.json")) as f:
            config = json.load(f)
        self.assertEqual(config["imageModel"]["shape"], [1, 14, 14])
        trained = subprocess.run(
            [sys.executable, "train.py", "--steps", "3", "--log-every", "1"], cwd=self.path("nice"), capture_output=True, text=True, timeout=120
        )
        self.assertEqual(trained.returncode, 0, trained.stderr)
        self.assertIn("step 3/3", trained.stdout)
        self.assertIn("held-out bits/dim:", trained.stdout)
        with open(self.path("nice", "out", "notebook.flowfield.json")) as f:
            back = json.load(f)
        self.assertEqual(back["notebook"], NOTEBOOK["notebook"])
        [entry] = back["weights"]
        self.assertEqual((entry["trainId"], entry["steps"]), ("train-1", 3))
        options = NOTEBOOK["notebook"]["cells"][1]["model"]["image"]["options"]
        total = NiceImage([1, 14, 14], options["layers"], options["hidden"], options["hiddenLayers"]).layout.total
        self.assertEqual(len(base64.b64decode(entry["float32"])), 4 * total)
        sampled = subprocess.run([sys.executable, "sample.py", "--n", "5"], cwd=self.path("nice"), capture_output=True, text=True, timeout=120)
        self.assertEqual(sampled.returncode, 0, sampled.stderr)
        images = torch.load(self.path("nice", "samples.pt"))
        self.assertEqual((images.dtype, list(images.shape)), (torch.uint8, [5, 1, 14, 14]))

    def test_what_the_export_cannot_carry_is_refused_by_name(self):
        glow = copy.deepcopy(NOTEBOOK)
        glow["notebook"]["cells"][1]["model"]["image"] = {"kind": "glow", "options": {"levels": 2, "stepsPerLevel": 2, "channels": 8, "prior": "gaussian"}}
        files = copy.deepcopy(NOTEBOOK)
        files["notebook"]["cells"][0]["source"] = {
            "kind": "image-files", "label": "digits.zip", "count": 12, "channels": 1, "size": 14, "classNames": [], "hash": "0" * 64, "seed": 1,
        }
        for name, doc, message in (("glow", glow, "trains NICE among the image models"), ("files", files, "whose pixels stay in the page")):
            with self.subTest(name):
                result = export(self.write(doc, f"{name}.flowfield.json"), "--out", self.path(name))
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(self.path(name)))


if __name__ == "__main__":
    unittest.main()
