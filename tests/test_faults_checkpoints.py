"""Checkpoints refuse hostile and malformed files with a message naming the file and what is wrong
(issue #27): size and decompression bounds checked before anything is unpickled, a bad signature, no
state, a missing key, a tensor of another shape or dtype; still `weights_only=True` only."""

import io
import json
import zipfile

import pytest
import torch

from lecturekit import checkpoints

SIG = checkpoints.signature({"lr": 0.1}, {"name": "toy"}, [checkpoints])


def _payload(path, **payload):
    torch.save({"format": checkpoints.FORMAT, **payload}, path)
    return path


def test_a_file_larger_than_the_bound_is_refused_before_loading(tmp_path):
    path = checkpoints.save(tmp_path / "big.pt", {"w": torch.zeros(2_000)}, SIG)
    with pytest.raises(
        ValueError, match=r"big\.pt is [\d,]+ bytes, more than the 1,000 a checkpoint may have"
    ):
        checkpoints.load(path, SIG, max_bytes=1_000)
    assert checkpoints.load(path, SIG)["w"].shape == (2_000,)  # the default bound (1 GiB) lets it through
    assert checkpoints.MAX_BYTES == 1 << 30


def test_a_decompression_bomb_is_refused_before_it_expands(tmp_path):
    # torch.save stores records uncompressed; re-packed with deflate, 64 MB of zeros fit in ~64 kB.
    honest = io.BytesIO()
    torch.save(
        {"format": checkpoints.FORMAT, "signature": json.dumps(SIG), "state": {"w": torch.zeros(16 << 20)}},
        honest,
    )
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"bomb\.pt would expand to [\d,]+ bytes from [\d,]+ on disk"):
        checkpoints.load(bomb, SIG)


def test_a_corrupt_zip_is_refused_naming_the_file(tmp_path):
    path = checkpoints.save(tmp_path / "cut.pt", {"w": torch.ones(3)}, SIG)
    path.write_bytes(path.read_bytes()[:-40])  # central directory cut off
    with pytest.raises(ValueError, match=r"cut\.pt is not a readable lecturekit checkpoint"):
        checkpoints.load(path, SIG)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"signature": 5, "state": {}}, "its signature is not the JSON text lecturekit writes"),
        ({"signature": "{not json", "state": {}}, "its signature is not the JSON text lecturekit writes"),
        ({"signature": "[1, 2]", "state": {}}, "its signature must be a JSON object, found list"),
        ({"signature": json.dumps(SIG)}, "no saved state"),
        ({"signature": json.dumps(SIG), "state": [1, 2]}, "no saved state"),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_file(tmp_path, payload, message):
    path = _payload(tmp_path / "odd.pt", **payload)
    with pytest.raises(ValueError, match=message) as err:
        checkpoints.load(path, SIG)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"model": {"w": torch.zeros(3)}}, "has no key 'epoch'"),
        ({"model": {}, "epoch": 1}, "state['model'] has no key 'w'"),
        (
            {"model": {"w": torch.zeros(4, 2)}, "epoch": 1},
            r"state\['model'\]\['w'\] is a \(4, 2\) torch.float32 tensor, expected \(3,\) torch.float32",
        ),
        ({"model": {"w": torch.zeros(3, dtype=torch.float64)}, "epoch": 1}, "torch.float64 tensor, expected"),
        (
            {"model": {"w": [0.0, 0.0, 0.0]}, "epoch": 1},
            r"state\['model'\]\['w'\] must be a tensor, found a list",
        ),
        ({"model": {"w": torch.zeros(3)}, "epoch": "1"}, "state['epoch'] must be a int, found a str"),
        ({"model": {"w": torch.zeros(3)}, "epoch": True}, "state['epoch'] must be a int, found a bool"),
        ({"model": torch.zeros(3), "epoch": 1}, "state['model'] must be a mapping, found a Tensor"),
    ],
)
def test_a_state_of_the_wrong_form_is_refused_naming_file_and_key(tmp_path, state, message):
    path = checkpoints.save(tmp_path / "run.pt", state, SIG)
    expect = {"model": {"w": torch.zeros(3)}, "epoch": int}
    with pytest.raises(
        ValueError, match=message if "\\" in message else message.replace("[", r"\[").replace("]", r"\]")
    ) as err:
        checkpoints.load(path, SIG, expect=expect)
    assert str(path) in str(err.value)


def test_a_well_formed_state_loads_with_its_template(tmp_path):
    model = torch.nn.Linear(3, 2)
    state = {"model": model.state_dict(), "epoch": 4, "history": [0.5], "extra": "kept"}
    path = checkpoints.save(tmp_path / "run.pt", state, SIG)
    loaded = checkpoints.load(
        path, SIG, expect={"model": torch.nn.Linear(3, 2).state_dict(), "epoch": 0, "history": list}
    )
    assert loaded["epoch"] == 4 and torch.equal(loaded["model"]["weight"], model.weight.detach())
    with pytest.raises(ValueError, match=r"state\['model'\]\['weight'\] is a \(2, 3\)"):
        checkpoints.load(path, SIG, expect={"model": torch.nn.Linear(4, 2).state_dict()})


def test_loading_still_uses_weights_only(tmp_path, monkeypatch):
    path = checkpoints.save(tmp_path / "run.pt", {"w": torch.ones(2)}, SIG)
    seen = []
    real = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    assert checkpoints.load(path, SIG, expect={"w": torch.zeros(2)})["w"].sum() == 2
    assert seen == [True]
