import shutil

import pytest

from privastream_desktop.detectors.faces import FaceDetector
from privastream_desktop.model_store import ModelError, ModelStore
from privastream_desktop.resources import data_dir


@pytest.fixture
def store_copy(tmp_path):
    root = tmp_path / "models"
    shutil.copytree(data_dir("models"), root, ignore=shutil.ignore_patterns("tools"))
    return root


def test_every_shipped_model_is_present_and_intact():
    store = ModelStore()
    assert store.specs(), "the manifest lists no models"
    for spec in store.specs():
        assert store.status(spec.id).state == "ok", spec.id
        assert spec.licence and spec.source


def test_missing_weight_file_gives_a_clear_error(store_copy):
    (store_copy / "faces" / "centerface.onnx").unlink()
    with pytest.raises(ModelError, match=r"missing.*Reinstall"):
        FaceDetector(ModelStore(store_copy))


def test_corrupted_weight_file_is_refused(store_copy):
    path = store_copy / "faces" / "centerface.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    store = ModelStore(store_copy)
    assert store.status("face-centerface").state == "altered"
    with pytest.raises(ModelError, match="corrupted"):
        FaceDetector(store)


def test_truncated_weight_file_is_refused(store_copy):
    path = store_copy / "faces" / "centerface.onnx"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match="corrupted"):
        ModelStore(store_copy).path("face-centerface")


def test_unknown_model_and_missing_manifest(store_copy, tmp_path):
    with pytest.raises(ModelError, match="unknown model"):
        ModelStore(store_copy).path("no-such-model")
    with pytest.raises(ModelError, match="manifest not found"):
        ModelStore(tmp_path / "nowhere")
