"""Re-create ``models/plates/plate_yolov8n.onnx`` from the ``safelicensing`` wheel.

Maintainer tooling only: PrivaStream never imports torch or ultralytics at run
time, it only loads the ONNX file this script writes. Provenance, licence and
the tensor layout are in ``models/plates/SOURCE.md``.

Run it in a throw-away virtual environment, never in the app's own one::

    python3 -m venv /tmp/plate-export
    /tmp/plate-export/bin/pip install torch==2.13.0 ultralytics omegaconf onnx onnxruntime onnxslim
    /tmp/plate-export/bin/pip install --no-deps safelicensing==1.0.3
    /tmp/plate-export/bin/python models/tools/export_plate_model.py

Pin ``torch`` to a CPU build so pip does not pull the CUDA stack. ``omegaconf``
is needed because the checkpoint (Ultralytics 8.0.3, December 2023) pickles its
training arguments as an omegaconf ``DictConfig``.

By default the export has dynamic batch, height and width (any multiple of 32),
so the app can letterbox a 16:9 frame to e.g. 960x544 instead of a padded
square. ``--static N`` writes a fixed 1x3xNxN graph instead. The output is
byte-identical across reruns with the same package versions (see
``make_reproducible``).

The script works fully offline:

* Ultralytics' only network access during export is ``check_font("Arial.ttf")``;
  a private ``YOLO_CONFIG_DIR`` with matplotlib's DejaVuSans copied in as
  ``Arial.ttf`` satisfies it, and ``YOLO_OFFLINE``/``YOLO_AUTOINSTALL`` stop
  any other look-up or pip call.
* When the installed torchvision wheel does not match the CPU torch build
  (``RuntimeError: operator torchvision::nms does not exist``), a pure-torch
  ``torchvision::nms`` operator is defined before torchvision is imported.
  NMS is not part of the exported graph; the shim only lets imports (and a
  PyTorch ``predict`` used for parity checks) succeed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "plates" / "plate_yolov8n.onnx"
_KEEP_ALIVE: list[object] = []  # holds the torch.library handle of the nms shim


def sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_offline_ultralytics(config_dir: Path) -> None:
    """Point Ultralytics at a private config dir that already holds its font."""
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    config_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(font, config_dir / "Arial.ttf")
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"


def shim_torchvision_nms() -> None:
    """Define ``torchvision::nms`` in pure torch if torchvision's own op is missing."""
    import torch

    try:
        import torchvision

        return  # torchvision matches torch: nothing to do
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]

    def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
        order = scores.argsort(descending=True)
        keep = []
        while order.numel():
            best = order[0]
            keep.append(best)
            rest = boxes[order[1:]]
            top_left = torch.maximum(boxes[best, :2], rest[:, :2])
            bottom_right = torch.minimum(boxes[best, 2:], rest[:, 2:])
            inter = (bottom_right - top_left).clamp(min=0).prod(dim=1)
            area_best = (boxes[best, 2:] - boxes[best, :2]).prod()
            area_rest = (rest[:, 2:] - rest[:, :2]).prod(dim=1)
            order = order[1:][inter / (area_best + area_rest - inter) <= iou_threshold]
        return torch.stack(keep) if keep else boxes.new_zeros(0, dtype=torch.long)

    lib = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):  # torchvision registers fake kernels for both at import
        lib.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.impl(op, nms, "CompositeExplicitAutograd")
    _KEEP_ALIVE.append(lib)
    import torchvision.extension  # now imports cleanly

    torchvision.extension._has_ops = lambda: True  # let torchvision.ops.nms reach the shim


def make_reproducible(src: Path, out: Path) -> None:
    """Copy ``src`` to ``out`` minus what differs between runs, so reruns are byte-identical.

    That is the exporter's timestamp and the optional intermediate shape
    annotations (``value_info``), whose symbolic dimension names onnxslim draws
    at random in dynamic exports; onnxruntime re-infers shapes at load time.
    """
    import onnx

    model = onnx.load(str(src))
    props = [(p.key, p.value) for p in model.metadata_props if p.key != "date"]
    del model.metadata_props[:]
    for key, value in props:
        model.metadata_props.add(key=key, value=value)
    del model.graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def export(weights: Path, out: Path, *, imgsz: int, dynamic: bool, opset: int) -> Path:
    """Export ``weights`` to ONNX at ``out`` (fp32, no NMS in the graph) and return ``out``."""
    with tempfile.TemporaryDirectory(prefix="plate-export-") as tmp:
        tmp_dir = Path(tmp)
        prepare_offline_ultralytics(tmp_dir / "yolo-config")
        shim_torchvision_nms()
        from ultralytics import YOLO
        from ultralytics.utils import SETTINGS

        SETTINGS.update({"sync": False})
        work = tmp_dir / "best.pt"  # export next to a copy, never inside site-packages
        shutil.copyfile(weights, work)
        produced = YOLO(str(work)).export(
            format="onnx", imgsz=imgsz, dynamic=dynamic, opset=opset, simplify=True, nms=False, device="cpu"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        make_reproducible(Path(produced), out)
    return out


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="default: safelicensing's bundled best.pt")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--static", type=int, metavar="N", default=0, help="fixed 1x3xNxN input (N multiple of 32)")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    if args.static % 32:
        parser.error("--static must be a multiple of 32")

    weights = args.weights or Path(str(resources.files("safelicensing") / "best.pt"))
    out = export(weights, args.out, imgsz=args.static or 640, dynamic=not args.static, opset=args.opset)
    print(f"weights {weights}\n  sha256 {sha256(weights)}")
    print(f"onnx    {out}\n  sha256 {sha256(out)}  ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
