"""The course profile's producer-consumer loader (DataLoader workers) trains without teardown noise.

The executed course notebook 02 printed ~100 ``_MultiProcessingDataLoaderIter.__del__ ... AssertionError:
can only test a child process`` tracebacks: inside Jupyter ``tqdm.auto`` opens an iterator of the
iterable it wraps as soon as it is built, and the notebook bar sits in a reference cycle, so each
epoch left an unused, worker-owning DataLoader iterator to the garbage collector -- which then ran
inside the next epoch's forked worker. The quick profile has no workers, so nothing else saw it.

This test runs the course loader path in a fresh interpreter with the bar Jupyter uses and makes the
worker collect garbage as soon as it starts (as happened at random in the notebook), then asserts
that nothing reaches stderr and that no loader iterator outlives training.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lecturekit.studies.nb02_pinsage import PROFILES

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc
import sys

import torch
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter
from tqdm.asyncio import tqdm_asyncio
from tqdm.notebook import tqdm as notebook_tqdm

import lecturekit.recsys.pinsage.train as train
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import PinSage, PinSageConfig, RandomWalkSampler, TrainConfig, pinboard_task
from lecturekit.studies.nb02_pinsage import PROFILES


class JupyterBar(notebook_tqdm, tqdm_asyncio):
    '''What ``tqdm.auto.tqdm`` is inside a Jupyter kernel.'''


train.tqdm = JupyterBar
worker_info = train.get_worker_info


def collecting_worker_info():
    info = worker_info()
    if info is not None:  # inside a worker: collect now what the parent left in cycles
        gc.collect()
    return info


train.get_worker_info = collecting_worker_info
gc.disable()  # the parent never collects: leaked iterators stay alive until a worker finds them
torch.set_num_threads(1)
task = pinboard_task(make_pinboard(600, seed=0), max_test_pairs=50)
sampler = RandomWalkSampler(task.edge_index, task.num_items, task.num_users, num_walks=10, top_t=5)
x = task.features["combined"]
course = PROFILES.course.gnn
for tables in (train.EpochNeighborhoods(sampler, "importance", 0), None):  # the notebook's path and the default one
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=8, out_dim=8))
    config = TrainConfig(epochs=2, batch_size=16, num_negatives=8, max_steps_per_epoch=3,
                         num_workers=course.num_workers)
    history = train.train_pinsage(model, x, sampler, task.train_pairs, config, progress=True, neighbor_tables=tables)
    assert len(history.step_loss) == 6, history.step_loss
alive = sum(isinstance(o, _MultiProcessingDataLoaderIter) for o in gc.get_objects())
print(f"iterators alive after training: {alive}")
"""


def test_course_loader_workers_train_without_stderr_noise(tmp_path) -> None:
    assert PROFILES.course.gnn.num_workers >= 1  # the path under test is the course profile's
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]
    assert "iterators alive after training: 0" in done.stdout, done.stdout[-2000:]
