"""`flowfield export` (bin/flowfield.mjs, built by `npm run build`) end to end: the exported
folder holds python/ byte for byte, trains from the playground's weights, and its .zip form is
a valid archive (read by Python's zipfile, an independent reader); bad notebooks name the
problem and leave nothing behind."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

import helpers

ROOT = os.path.dirname(helpers.PYTHON)
GALLERY = os.path.join(ROOT, "public", "gallery")


def export(*args):
    return subprocess.run(["node", os.path.join(ROOT, "bin", "flowfield.mjs"), "export", *args], capture_output=True, text=True, timeout=120)


class Export(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, *parts):
        return os.path.join(self.dir.name, *parts)

    def test_folder_is_self_contained_and_trains_from_the_playground_weights(self):
        notebook = os.path.join(GALLERY, "straight-paths.flowfield.json")
        result = export(notebook, "--out", self.path("fm"), "--train", "train-ot")
        self.assertEqual(result.returncode, 0, result.stderr)
        for name in sorted(os.listdir(os.path.join(helpers.PYTHON, "flowfield_torch"))):
            if name.endswith(".py"):
                with self.subTest(name):
                    with open(os.path.join(helpers.PYTHON, "flowfield_torch", name), "rb") as a, open(self.path("fm", "flowfield_torch", name), "rb") as b:
                        self.assertEqual(a.read(), b.read())
        with open(self.path("fm", "config.json")) as f:
            config = json.load(f)
        with open(notebook) as f:
            cells = {c["id"]: c for c in json.load(f)["notebook"]["cells"]}
        self.assertEqual(config["model"], cells["model-ot"]["model"])
        self.assertEqual(config["train"], cells["model-ot"]["train"])
        trained = subprocess.run(
            [sys.executable, "train.py", "--steps", "3", "--init", "weights.safetensors", "--log-every", "1"],
            cwd=self.path("fm"), capture_output=True, text=True, timeout=120,
        )
        self.assertEqual(trained.returncode, 0, trained.stderr)
        self.assertIn("step 3/3", trained.stdout)
        self.assertTrue(os.path.exists(self.path("fm", "out", "weights.safetensors")))
        sampled = subprocess.run(
            [sys.executable, "sample.py", "--sampler", "heun", "--steps", "5", "--n", "20", "--out", "s.csv", "--log-prob-steps", "4"],
            cwd=self.path("fm"), capture_output=True, text=True, timeout=120,
        )
        self.assertEqual(sampled.returncode, 0, sampled.stderr)
        self.assertIn("mean log p of 20 samples", sampled.stdout)
        with open(self.path("fm", "s.csv")) as f:
            self.assertEqual(len(f.read().strip().split("\n")), 21)
        wrong = subprocess.run([sys.executable, "sample.py", "--sampler", "pf-heun"], cwd=self.path("fm"), capture_output=True, text=True, timeout=120)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("not a flow-matching sampler; choose one of euler, midpoint, heun, rk4", wrong.stderr)
        # The notebook comes back with this Train cell's new weights and the other cell's old ones.
        with open(self.path("fm", "out", "notebook.flowfield.json")) as f:
            back = json.load(f)
        with open(notebook) as f:
            before = json.load(f)
        self.assertEqual(back["notebook"], before["notebook"])
        entries = {w["trainId"]: w for w in back["weights"]}
        self.assertEqual(entries["train-ot"]["steps"], 3)
        others = [w for w in before["weights"] if w["trainId"] != "train-ot"]
        self.assertEqual([entries[w["trainId"]] for w in others], others)

    def test_a_reflow_student_makes_its_teachers_pairs_and_trains_on_them(self):
        with open(os.path.join(GALLERY, "straight-paths.flowfield.json")) as f:
            doc = json.load(f)
        student = next(c for c in doc["notebook"]["cells"] if c["id"] == "model-ot")
        student["model"]["pairing"] = "reflow"
        student["model"]["reflow"] = {"teacher": "model-independent", "pairs": 256, "teacherSteps": 4}
        source = self.path("reflow.flowfield.json")
        with open(source, "w") as f:
            json.dump(doc, f)
        result = export(source, "--out", self.path("rf"), "--train", "train-ot")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.exists(self.path("rf", "teacher.safetensors")))
        trained = subprocess.run(
            [sys.executable, "train.py", "--steps", "3", "--log-every", "1"],
            cwd=self.path("rf"), capture_output=True, text=True, timeout=120,
        )
        self.assertEqual(trained.returncode, 0, trained.stderr)
        self.assertIn("made 256 reflow pairs with the teacher's rk4 sampler (4 steps)", trained.stdout)
        self.assertIn("step 3/3", trained.stdout)
        os.remove(self.path("rf", "teacher.safetensors"))
        missing = subprocess.run([sys.executable, "train.py", "--steps", "1"], cwd=self.path("rf"), capture_output=True, text=True, timeout=120)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("the reflow teacher's weights are missing", missing.stderr)

    def test_zip_is_a_valid_archive_of_the_same_files(self):
        notebook = os.path.join(GALLERY, "nice-moons.flowfield.json")
        self.assertEqual(export(notebook, "--out", self.path("a")).returncode, 0)
        result = export(notebook, "--out", self.path("a.zip"), "--zip")
        self.assertEqual(result.returncode, 0, result.stderr)
        with zipfile.ZipFile(self.path("a.zip")) as z:
            self.assertIsNone(z.testzip(), "every CRC matches")
            names = sorted(z.namelist())
            folder = sorted(os.path.relpath(os.path.join(d, f), self.path("a")) for d, _, fs in os.walk(self.path("a")) for f in fs)
            self.assertEqual(names, folder)
            for name in names:
                with open(self.path("a", name), "rb") as f:
                    self.assertEqual(z.read(name), f.read(), name)

    def test_bad_notebooks_name_the_problem_and_write_nothing(self):
        with open(os.path.join(GALLERY, "flow-matching-circles.flowfield.json")) as f:
            doc = json.load(f)
        cases = {}
        reflow = copy.deepcopy(doc)
        model = next(c for c in reflow["notebook"]["cells"] if c["kind"] == "model")
        model["model"]["pairing"] = "reflow"
        model["model"]["reflow"] = {"teacher": model["id"], "pairs": 4096, "teacherSteps": 16}
        reflow["weights"] = []
        cases["reflow"] = (reflow, "A model cannot be its own reflow teacher")
        unknown = copy.deepcopy(doc)
        unknown["notebook"]["cells"].append({"id": "x", "kind": "video", "collapsed": False})
        cases["unknown cell"] = (unknown, "video")
        for name, (notebook, message) in cases.items():
            with self.subTest(name):
                source = self.path(f"{name}.flowfield.json")
                with open(source, "w") as f:
                    json.dump(notebook, f)
                result = export(source, "--out", self.path("out"))
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(self.path("out")), "nothing written")
                self.assertEqual([n for n in os.listdir(self.dir.name) if "flowfield-export" in n], [])
        os.mkdir(self.path("full"))
        open(self.path("full", "keep.txt"), "w").close()
        result = export(os.path.join(GALLERY, "nice-moons.flowfield.json"), "--out", self.path("full"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("already exists and is not empty", result.stderr)
        self.assertEqual(os.listdir(self.path("full")), ["keep.txt"])


if __name__ == "__main__":
    unittest.main()
