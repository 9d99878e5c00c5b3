"""Notebook 06's study, one seed: behaviour cloning, PPO for QED and penalized logP (GCPN and two ablations),
the pretrained policy without RL, property targeting, constrained optimisation, realism and distribution metrics.

``config = PROFILES.get()`` gives the :class:`GCPNExperiment` of the active profile; ``run_seed(config, seed)``
returns a :class:`GCPNResult` whose ``rows()`` the notebook records and whose :meth:`GCPNResult.comparisons`
feed :func:`lecturekit.studies.report.verdict_table`. Every row says ``comparable=False``: we train on MOSES
with a laptop budget, the paper on ZINC250k for hours. Checkpoints live under
``build/checkpoints/<checkpoint_dir>/seed<seed>/`` and resume only the identical run.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from lecturekit.generation.gcpn import data, evaluate, rewards
from lecturekit.generation.gcpn.env import EnvConfig
from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
from lecturekit.generation.gcpn.ppo import Episodes, expert_episodes
from lecturekit.generation.gcpn.train import TrainConfig, Trainer, finetune, pretrain_or_load, sample
from lecturekit.paths import build_dir
from lecturekit.results import Row
from lecturekit.seed import derive_seed, numpy_stream, seeded
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import Profiles, RunResult
from lecturekit.studies.report import Comparison

TASKS = ("qed", "plogp")
#: RL methods: ``(adversarial reward, reward shaping)``: GCPN and its two ablations.
METHODS = {"gcpn": (True, True), "gcpn-no-adversarial": (False, True), "gcpn-no-shaping": (True, False)}
#: The paper's numbers (You et al. 2018, Tables 1-3), on ZINC250k, for orientation only.
PAPER_TOP = {"plogp": (7.98, 7.85, 7.80), "qed": (0.948, 0.947, 0.946)}
PAPER_DATASET_BEST = {"plogp": 4.52, "qed": 0.948}  # best ZINC250k molecule
PAPER_TARGETING = {"logp[-2.5,-2]": (0.855, 0.392), "logp[5,5.5]": (0.547, 0.855),
                   "mw[150,200]": (0.761, 0.921), "mw[500,550]": (0.741, 0.920)}  # (success, diversity)
PAPER_CONSTRAINED = {0.0: (4.20, 0.32), 0.2: (4.12, 0.34), 0.4: (2.49, 0.47), 0.6: (0.79, 0.68)}  # (impr., sim.)
SCORES = {"qed": rewards.qed, "plogp": rewards.penalized_logp}
#: A starts file that would lose more than this share of its molecules is refused.
MAX_STARTS_LOST = 0.05


@dataclass(frozen=True)
class GCPNExperiment:
    """Sizes of notebook 06; the defaults are the ``course`` profile."""

    train_molecules: int = 2000  # first MOSES training molecules: expert data (novelty: the whole split)
    test_molecules: int | None = 1000  # first MOSES test molecules: constrained starts and the FCD reference
    expert_molecules: int = 2000
    max_atoms: int = 38  # the paper's limit (largest ZINC250k molecule)
    max_steps: int = 60  # attempted actions per de novo episode (reference max_action 128; 60 rebuilds any kept molecule)
    hidden: int = 32  # paper 64; halved for a laptop
    mlp_hidden: int = 64
    layers: int = 3  # paper: 3 graph convolution layers
    bc_steps: int = 1200  # behaviour cloning steps (~0.08 s each)
    bc_batch: int = 128
    bc_lr: float = 2e-3
    num_envs: int = 16  # episodes per PPO iteration
    ppo_epochs: int = 3
    minibatch: int = 128
    lr: float = 1e-3  # paper's learning rate
    qed_scale: float = 2.0  # reference code: reward_qed * 2
    plogp_scale: float = 1 / 3  # reference code: penalized logP / 3
    qed_iterations: int = 10
    plogp_iterations: int = 6
    min_actions: int = 20  # the reference's min_action: attempted actions (invalid ones count) before a stop ends
    paper_terms: bool = True  # the paper's terminal validity reward and strain / ZINC filter penalties
    target_form: str = "reference"  # targeting reward: the reference's peak, or "exp" (ablation)
    target_iterations: int = 20  # per window; at 10 MW [150, 200] had 1-2 hits of 256 (probe, seed 0), too few to tell
    eval_samples: int = 256  # final samples per run; also the sample size of FCD and the realism metrics
    filter_samples: int = 16  # samples per agent through the filters (3D embedding: ~0.2 s each)
    target_samples: int = 256
    constrained_molecules: int = 100  # lowest logP - SA test molecules as starts (paper: 800)
    constrained_starts_file: str | None = None  # e.g. the paper's 800 ZINC molecules (JT-VAE's opt.test.logP-SA)
    constrained_samples: int = 4  # candidates per start, for GCPN and for the pretrained policy
    constrained_steps: int = 30  # at most this many attempted actions from a start (reference 128; course cap)
    constrained_iterations: int = 4
    deltas: tuple[float, ...] = tuple(PAPER_CONSTRAINED)
    windows: tuple[str, ...] = tuple(PAPER_TARGETING)
    seeds: tuple[int, ...] = (0,)  # one seed in the notebook; `python -m experiments.seeds gcpn --seeds 0-2` runs three
    checkpoint_dir: str | None = "06_gcpn/course"  # under build/checkpoints; None: no checkpoints
    overwrite_checkpoints: bool = False  # True: retrain runs whose checkpoint belongs to another run

    def env(self, vocab: tuple[data.AtomType, ...]) -> EnvConfig:
        """The environment of behaviour cloning (no minimum number of actions)."""
        return EnvConfig(vocab=vocab, max_atoms=self.max_atoms, max_steps=self.max_steps)

    def rl_env(self, vocab: tuple[data.AtomType, ...]) -> EnvConfig:
        """The environment of RL and of every sample: at least ``min_actions`` attempted actions."""
        return replace(self.env(vocab), min_steps=self.min_actions)

    def constrained_env(self, vocab: tuple[data.AtomType, ...]) -> EnvConfig:
        return replace(self.rl_env(vocab), max_steps=self.constrained_steps)

    def policy(self) -> PolicyConfig:
        return PolicyConfig(hidden=self.hidden, mlp_hidden=self.mlp_hidden, layers=self.layers)

    def train(self, iterations: int, adversarial: bool, seed: int, shaping: bool = True) -> TrainConfig:
        return TrainConfig(iterations=iterations, num_envs=self.num_envs, ppo_epochs=self.ppo_epochs,
                           minibatch=self.minibatch, lr=self.lr, adversarial=adversarial, shaping=shaping,
                           expert_steps=2 * self.ppo_epochs, seed=seed)

    def scale(self, task: str) -> float:
        return {"qed": self.qed_scale, "plogp": self.plogp_scale}.get(task, 1.0)


COURSE = GCPNExperiment()
PROFILES = Profiles(
    quick=replace(
        COURSE, train_molecules=200, test_molecules=100, expert_molecules=40, max_steps=40, hidden=16,
        mlp_hidden=32, layers=2, bc_steps=4, bc_batch=32, num_envs=4, ppo_epochs=1, qed_iterations=2,
        plogp_iterations=2, min_actions=4, target_iterations=1, eval_samples=16, filter_samples=4,
        target_samples=8, constrained_molecules=4, constrained_samples=2, constrained_steps=8,
        constrained_iterations=1, checkpoint_dir="06_gcpn/quick",
    ),
    course=COURSE,
    full=replace(  # paper-sized network and budgets (hours)
        COURSE, train_molecules=250000, test_molecules=None, expert_molecules=50000, max_steps=128, hidden=64,
        mlp_hidden=128, bc_steps=20000, bc_batch=256, num_envs=64, ppo_epochs=4, minibatch=256,
        qed_iterations=1000, plogp_iterations=1000, target_iterations=300, eval_samples=4096,
        filter_samples=4096, target_samples=1024, constrained_molecules=800, constrained_samples=16,
        constrained_steps=128, constrained_iterations=300, checkpoint_dir="06_gcpn/full",
    ),
)


# ----------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Molecules:
    """Training and test molecules of one run, and which data set they came from."""

    train: data.MoleculeSet
    test: data.MoleculeSet
    dataset: str  # "moses", or "nci" when molsets is not installed
    vocab: tuple[data.AtomType, ...]
    novelty_reference: frozenset[str]  # the whole training split (novelty is measured against it)


def load_molecules(config: GCPNExperiment) -> Molecules:
    """MOSES (first buildable molecules in file order); RDKit's NCI sample split 80/20 without ``molsets``."""
    try:
        train = data.load_moses("train", limit=config.train_molecules, max_atoms=config.max_atoms)
        test = data.load_moses("test", limit=config.test_molecules, max_atoms=config.max_atoms)
        return Molecules(train, test, "moses", data.GCPN_VOCAB, data.moses_reference("train"))
    except FileNotFoundError:
        nci = data.load_nci(max_atoms=config.max_atoms)
        cut = int(0.8 * len(nci))
        return Molecules(data.MoleculeSet(nci.smiles[:cut], "nci", nci.skipped),
                         data.MoleculeSet(nci.smiles[cut:], "nci"), "nci", data.ZINC_VOCAB,
                         frozenset(nci.smiles[:cut]))


def load_starts(path: str | Path, vocab: Sequence[data.AtomType], max_atoms: int) -> data.MoleculeSet:
    """A starts file, refused (``ValueError`` naming the file and the reasons) when more than
    :data:`MAX_STARTS_LOST` of its molecules would be skipped: a protocol on a filtered subset of the
    paper's starts is not the paper's protocol."""
    kept = data.load_smiles_file(path, vocab, max_atoms)
    total = len(kept) + sum(kept.skipped.values())
    lost = total - len(kept)
    if lost > MAX_STARTS_LOST * total:
        raise ValueError(f"starts file {path}: {lost} of {total} molecules would be skipped (more than "
                         f"{MAX_STARTS_LOST:.0%}); {kept.summary()}")
    return kept


def choose_starts(pool: Sequence[str], n: int) -> list[str]:
    """The ``n`` molecules of ``pool`` with the lowest logP - SA (JT-VAE's order-invariant choice), stable order."""
    score = np.array([rewards.logp_minus_sa(s) for s in pool])
    return [pool[i] for i in np.argsort(score, kind="stable")[:n]]


# ----------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SampleSummary:
    """A set of generated molecules: generation metrics, per-valid-sample scores, realism."""

    n: int
    validity: float
    uniqueness: float
    novelty: float
    qed: tuple[float, ...]
    sa: tuple[float, ...]
    plogp: tuple[float, ...]
    large_ring: float  # share with an SSSR ring of 8 or more atoms
    small_ring: float  # share with a 3- or 4-ring
    int_div: float  # mean pairwise Tanimoto distance

    @property
    def mean_qed(self) -> float:
        return float(np.mean(self.qed)) if self.qed else 0.0

    @property
    def mean_sa(self) -> float:
        return float(np.mean(self.sa)) if self.sa else 0.0


def summarise(smiles: Sequence[str], training: frozenset[str] | set[str]) -> SampleSummary:
    gen = evaluate.generation_metrics(smiles, training)
    valid = [s for s in smiles if evaluate.is_valid(s)]
    large, small = evaluate.ring_shares(valid) if valid else (0.0, 0.0)
    return SampleSummary(len(smiles), gen["validity"], gen["uniqueness"], gen["novelty"],
                         tuple(rewards.qed(s) for s in valid), tuple(rewards.sa_score(s) for s in valid),
                         tuple(rewards.penalized_logp(s) for s in valid), large, small,
                         rewards.diversity(valid))


@dataclass(frozen=True)
class TargetingOutcome:
    hits: int
    pretrained_hits: int
    samples: int
    diversity: float | None  # None when there is no hit (missing, never 0.0)

    @property
    def success(self) -> float:
        return self.hits / self.samples

    @property
    def pretrained_success(self) -> float:
        return self.pretrained_hits / self.samples


@dataclass(frozen=True)
class ConstrainedOutcome:
    """One policy's constrained optimisation at one delta (``per_start``: best improvement per start, 0 = failure)."""

    improvement: float
    improvement_all: float
    similarity: float
    success: float
    per_start: tuple[float, ...]
    examples: tuple[tuple[str, str, float, float], ...]


@dataclass(frozen=True)
class GCPNResult(RunResult):
    """One seed of notebook 06. Keys of the per-run mappings are ``"<task>/<method>"``."""

    dataset: str
    train_summary: str
    test_summary: str
    num_train: int
    expert_pairs: int
    bc_losses: tuple[float, ...]
    untrained: SampleSummary
    samples: Mapping[str, SampleSummary]  # pretrained, training-data and every RL method's realism samples
    histories: Mapping[str, tuple[Mapping[str, float], ...]]
    final: Mapping[str, SampleSummary]  # eval_samples final molecules per RL run
    tops: Mapping[str, tuple[tuple[str, float], ...]]
    pool_sizes: Mapping[str, int]
    generation: Mapping[str, Mapping[str, float]]
    fcd: Mapping[str, float]  # against eval_samples MOSES test molecules
    filter_pass: Mapping[str, float]
    verdicts: Mapping[str, tuple[bool, bool]]
    targeting: Mapping[str, TargetingOutcome]
    constrained: Mapping[str, Mapping[float, ConstrainedOutcome]]  # "gcpn" / "pretrained" -> delta -> outcome
    unchanged: Mapping[str, float]  # share of constrained candidates equal to their start
    constrained_start_plogp: tuple[float, ...]
    constrained_source: str
    constrained_dataset: str  # "zinc" with the paper's starts file, else the run's data set
    num_reference: int
    config: GCPNExperiment

    def rows(self) -> list[Row]:
        c, ds = self.config, self.dataset
        where = f"{ds} molecules ({self.num_train} training), not the paper's ZINC250k; far smaller budget"
        rows: list[Row] = []
        for task in TASKS:
            for method in (*METHODS, "pretrained", "dataset-best"):
                paper = PAPER_TOP[task] if method == "gcpn" else (PAPER_DATASET_BEST[task],) if method == "dataset-best" else ()
                for k, (_, value) in enumerate(self.tops[f"{task}/{method}"], start=1):
                    rows.append(Row(ds, method, f"{task}-top{k}", value, paper[k - 1] if k <= len(paper) else None,
                                    note=f"best distinct of {self.pool_sizes[f'{task}/{method}']} molecules; {where}"))
        for method, gen in self.generation.items():
            for metric, value in gen.items():
                rows.append(Row(ds, method, metric, value, 1.0 if metric == "validity" and method == "gcpn" else None,
                                note=f"{2 * c.eval_samples} final samples of the QED and pLogP agents; {where}"))
        for method, value in self.filter_pass.items():
            rows.append(Row(ds, method, "filter-pass", value, note=f"share passing the steric-strain and ZINC "
                            f"substructure filters ({2 * c.filter_samples} molecules); {where}"))
        for method in METHODS:
            rows.append(Row(ds, method, "qed-mean", self.final[f"qed/{method}"].mean_qed,
                            note=f"mean QED of {c.eval_samples} final samples of the QED agent; {where}"))
            rows.append(Row(ds, method, "plogp-mean", float(np.mean(self.final[f"plogp/{method}"].plogp)),
                            note=f"mean penalized logP of {c.eval_samples} final samples of the pLogP agent; {where}"))
        for method in ("pretrained", "training-data"):
            s = self.samples[method]
            rows.append(Row(ds, method, "qed-mean", s.mean_qed, note=f"{c.eval_samples} molecules; {where}"))
            rows.append(Row(ds, method, "plogp-mean", float(np.mean(s.plogp)), note=f"{c.eval_samples} molecules; {where}"))
        for method, s in self.samples.items():
            note = f"{c.eval_samples} molecules (an RL method: half from each agent); SSSR rings; {where}"
            rows += [Row(ds, method, "sa-mean", s.mean_sa, note=note),
                     Row(ds, method, "large-ring-share", s.large_ring, note=note),
                     Row(ds, method, "small-ring-share", s.small_ring, note=note),
                     Row(ds, method, "int-div", s.int_div, note=note),
                     Row(ds, method, "fcd", self.fcd[method], note=f"Frechet ChemNet Distance to {c.eval_samples} "
                         f"MOSES test molecules (biased at this size: compare with training-data); {note}")]
        for window, out in self.targeting.items():
            p_success, p_diversity = PAPER_TARGETING[window]
            note = f"{c.target_samples} samples after {c.target_iterations} PPO iterations ({c.target_form} reward); {where}"
            rows.append(Row(ds, "gcpn", f"success/{window}", out.success, p_success, note=note))
            if out.diversity is not None:  # no hit: diversity is missing, not 0
                rows.append(Row(ds, "gcpn", f"diversity/{window}", out.diversity, p_diversity,
                                note=f"mean pairwise Tanimoto distance over all hits; {note}"))
            rows.append(Row(ds, "pretrained", f"success/{window}", out.pretrained_success,
                            note=f"{c.target_samples} samples of the pretrained policy, no RL; {where}"))
        cds = self.constrained_dataset
        note = (f"{self.constrained_source}; {c.constrained_samples} candidates per start of {c.min_actions} to "
                f"{c.constrained_steps} attempted actions; 2048-bit Morgan radius-2 Tanimoto similarity")
        for method in ("gcpn", "pretrained"):
            rows.append(Row(cds, method, "unchanged", self.unchanged[method],
                            note=f"share of candidates equal to their start; {note}"))
            for delta, out in self.constrained[method].items():
                p_improvement, p_similarity = PAPER_CONSTRAINED[delta] if method == "gcpn" else (None, None)
                rows.append(Row(cds, method, f"improvement-all/delta={delta}", out.improvement_all, p_improvement,
                                note=f"mean over all starts, a failed start counting 0 (as the paper); {note}"))
                rows.append(Row(cds, method, f"success/delta={delta}", out.success, 1.0 if method == "gcpn" else None,
                                note=note))
                if method == "gcpn":
                    rows.append(Row(cds, method, f"improvement/delta={delta}", out.improvement,
                                    note=f"mean over successful starts only (flatters a low success rate); {note}"))
                    rows.append(Row(cds, method, f"similarity/delta={delta}", out.similarity, p_similarity,
                                    note=f"mean over successful starts; {note}"))
        return rows

    def comparisons(self, section: str) -> list[Comparison]:
        """What a section of the notebook discusses, for :func:`~lecturekit.studies.report.verdict_table`:
        ``"targeting"`` (success, Newcombe interval), ``"means"`` (mean QED / pLogP of every method vs the
        pretrained policy, bootstrap over samples), ``"constrained"`` (improvement over all starts, paired
        bootstrap over starts) or ``"top-k"`` (one seed: no interval, so no verdict)."""
        seed = derive_seed(self.seed, "comparisons")
        if section == "targeting":
            return [Comparison("gcpn", "pretrained", f"success/{w}", evaluate.proportion_difference(
                o.hits, o.samples, o.pretrained_hits, o.samples), "samples (Newcombe)") for w, o in self.targeting.items()]
        if section == "means":
            base = self.samples["pretrained"]
            out = []
            for task, field in (("qed", "qed"), ("plogp", "plogp")):
                for method in (*METHODS, "training-data"):
                    values = getattr(self.final[f"{task}/{method}"] if method in METHODS else self.samples[method], field)
                    out.append(Comparison(method, "pretrained", f"{task}-mean",
                                          evaluate.mean_difference(values, getattr(base, field), seed=seed), "samples"))
            return out
        if section == "constrained":
            return [Comparison("gcpn", "pretrained", f"improvement-all/delta={d}",
                               paired_bootstrap(self.constrained["gcpn"][d].per_start,
                                                self.constrained["pretrained"][d].per_start, seed=seed), "starts")
                    for d in self.constrained["gcpn"]]
        if section == "top-k":
            out = []
            for task in TASKS:
                for k in range(3):
                    diff = self.tops[f"{task}/gcpn"][k][1] - self.tops[f"{task}/pretrained"][k][1]
                    out.append(Comparison("gcpn", "pretrained", f"{task}-top{k + 1}", Interval(diff, diff, diff),
                                          "one seed: no interval"))
            return out
        raise KeyError(f"unknown section {section!r}; expected 'targeting', 'means', 'constrained' or 'top-k'")


# ----------------------------------------------------------------------------------------- one seed
def checkpoint_path(config: GCPNExperiment, seed: int, name: str) -> Path | None:
    """``build/checkpoints/<checkpoint_dir>/seed<seed>/<name>.pt``, or ``None`` without checkpoints."""
    if config.checkpoint_dir is None:
        return None
    return build_dir() / "checkpoints" / config.checkpoint_dir / f"seed{seed}" / f"{name}.pt"


def with_env(policy: GCPNPolicy, env: EnvConfig) -> GCPNPolicy:
    """A copy of ``policy`` acting in an environment with other limits (same vocabulary and atom slots)."""
    other = copy.deepcopy(policy)
    other.env_config = env
    return other


def pretrained_policy(config: GCPNExperiment, seed: int, env: EnvConfig, expert: Episodes,
                      progress: bool = True) -> tuple[GCPNPolicy, GCPNPolicy, list[float]]:
    """``(untrained, pretrained, losses)``: a policy initialised from the seed and its behaviour-cloned copy."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "policy-init"))
        untrained = GCPNPolicy(env, config.policy())
    policy = copy.deepcopy(untrained)
    losses = pretrain_or_load(policy, expert, config.bc_steps, config.bc_batch, config.bc_lr,
                              seed=derive_seed(seed, "behaviour-cloning"),
                              checkpoint=checkpoint_path(config, seed, "pretrained"),
                              overwrite=config.overwrite_checkpoints, progress=progress)
    return untrained, policy, losses


def constrained_outcomes(candidates: dict[str, list[str]], deltas: Sequence[float]) -> dict[float, ConstrainedOutcome]:
    return {d: ConstrainedOutcome(r["improvement"], r["improvement_all"], r["similarity"], r["success"],
                                  r["per_start"], r["examples"])
            for d, r in evaluate.constrained_metrics(candidates, list(deltas)).items()}


def run_seed(config: GCPNExperiment, seed: int, progress: bool = True) -> GCPNResult:
    """Notebook 06 for one seed: every number it records and everything it plots."""
    began = time.perf_counter()
    with seeded(seed):
        mols = load_molecules(config)
        train, ref = mols.train.smiles, mols.novelty_reference
        env, rl_env = config.env(mols.vocab), config.rl_env(mols.vocab)
        expert = expert_episodes(train[: config.expert_molecules], env, numpy_stream(seed, "expert"))
        untrained, policy, bc_losses = pretrained_policy(config, seed, env, expert, progress)
        rl_policy = with_env(policy, rl_env)  # same weights, acting under the minimum number of actions

        def rl(name: str, task: str, adversarial: bool, iterations: int, start: GCPNPolicy,
               starts: list[str] | None = None, shaping: bool = True) -> Trainer:
            reward = rewards.TaskReward(task, scale=config.scale(task), paper_terms=config.paper_terms,
                                        target_form=config.target_form)
            return finetune(start, expert, reward, config.train(iterations, adversarial, derive_seed(seed, f"ppo/{name}"),
                                                                shaping),
                            starts=starts, checkpoint=checkpoint_path(config, seed, name),
                            overwrite=config.overwrite_checkpoints, progress=progress)

        def draw(p: GCPNPolicy, n: int, stream: str) -> list[str]:
            return sample(p, n, seed=derive_seed(seed, f"sample/{stream}"))

        n = config.eval_samples
        runs: dict[str, Trainer] = {}
        for method, (adversarial, shaping) in METHODS.items():
            runs[f"qed/{method}"] = rl(f"qed-{method}", "qed", adversarial, config.qed_iterations, rl_policy,
                                       shaping=shaping)
            runs[f"plogp/{method}"] = rl(f"plogp-{method}", "plogp", adversarial, config.plogp_iterations, rl_policy,
                                         shaping=shaping)
        final_smiles = {key: draw(trainer.policy, n, f"final/{key}") for key, trainer in runs.items()}

        # The pretrained policy without RL, in the RL environment: as many molecules as each agent generated.
        budgets = {task: config.num_envs * getattr(config, f"{task}_iterations") + n for task in TASKS}
        pool = draw(rl_policy, max(*budgets.values(), config.target_samples), "pretrained-pool")
        tops, pool_sizes = {}, {}
        for key, trainer in runs.items():  # as the paper: the best distinct molecules of training and final samples
            tops[key] = tuple(evaluate.top_k(list(trainer.seen) + final_smiles[key], SCORES[key.split("/")[0]], k=3))
            pool_sizes[key] = config.num_envs * trainer.iteration + n
        for task in TASKS:
            tops[f"{task}/pretrained"] = tuple(evaluate.top_k(pool[: budgets[task]], SCORES[task], k=3))
            pool_sizes[f"{task}/pretrained"] = budgets[task]
            tops[f"{task}/dataset-best"] = tuple(evaluate.top_k(train, SCORES[task], k=3))
            pool_sizes[f"{task}/dataset-best"] = len(train)

        # Realism and distribution: n molecules each, FCD against n test molecules (same n: FCD is biased).
        half = n // 2
        realism = {"pretrained": pool[:n], "training-data": train[:n],
                   **{m: final_smiles[f"qed/{m}"][:half] + final_smiles[f"plogp/{m}"][: n - half] for m in METHODS}}
        samples = {m: summarise(s, ref) for m, s in realism.items()}
        fcd = {m: evaluate.fcd(s, mols.test.smiles[:n]) for m, s in realism.items()}
        generation = {m: evaluate.generation_metrics(final_smiles[f"qed/{m}"] + final_smiles[f"plogp/{m}"], ref)
                      for m in METHODS}
        cache: dict[str, tuple[bool, bool]] = {}
        k = config.filter_samples
        filter_pass = {m: evaluate.filter_pass(final_smiles[f"qed/{m}"][:k] + final_smiles[f"plogp/{m}"][:k], cache)
                       for m in METHODS}
        filter_pass["pretrained"] = evaluate.filter_pass(pool[: 2 * k], cache)
        filter_pass["training-data"] = evaluate.filter_pass(train[: 2 * k], cache)
        verdicts = {smi: evaluate.filter_verdicts(smi, cache) for top in tops.values() for smi, _ in top}

        # Property targeting: one adversarial agent per window; the pretrained pool is the baseline.
        targeting = {}
        for window in config.windows:
            trainer = rl(f"target-{window}", window, True, config.target_iterations, rl_policy)
            found = [s for s in draw(trainer.policy, config.target_samples, f"target/{window}")
                     if evaluate.is_valid(s) and rewards.in_window(s, window)]
            base = sum(evaluate.is_valid(s) and rewards.in_window(s, window) for s in pool[: config.target_samples])
            targeting[window] = TargetingOutcome(len(found), int(base), config.target_samples,
                                                 rewards.diversity(sorted(found)) if found else None)

        # Constrained optimisation: the lowest logP - SA starts, or the paper's file (refused if it loses > 5 %).
        if config.constrained_starts_file is not None:
            pool_set = load_starts(config.constrained_starts_file, mols.vocab, config.max_atoms)
            starts, cds = choose_starts(pool_set.smiles, config.constrained_molecules), "zinc"
        else:
            pool_set, cds = mols.test, mols.dataset
            starts = choose_starts(pool_set.smiles, config.constrained_molecules)
        source = f"the {len(starts)} lowest logP - SA of {len(pool_set)} molecules of {pool_set.source}"
        c_env = config.constrained_env(mols.vocab)
        agent = rl("plogp-gcpn-constrained" + ("-zinc" if cds == "zinc" else ""), "plogp", True, config.constrained_iterations,
                   with_env(runs["plogp/gcpn"].policy, c_env), starts=starts)
        candidates = {name: evaluate.constrained_candidates(p, starts, config.constrained_samples, c_env.max_steps,
                                                            seed=derive_seed(seed, f"sample/constrained/{name}"))
                      for name, p in (("gcpn", agent.policy), ("pretrained", with_env(policy, c_env)))}

        return GCPNResult(
            seed=seed, seconds=time.perf_counter() - began, dataset=mols.dataset,
            train_summary=mols.train.summary(), test_summary=mols.test.summary(), num_train=len(train),
            expert_pairs=len(expert), bc_losses=tuple(bc_losses),
            untrained=summarise(draw(with_env(untrained, rl_env), n, "untrained"), ref), samples=samples,
            histories={key: tuple(dict(row) for row in trainer.history) for key, trainer in runs.items()},
            final={key: summarise(s, ref) for key, s in final_smiles.items()}, tops=tops, pool_sizes=pool_sizes,
            generation=generation, fcd=fcd, filter_pass=filter_pass, verdicts=verdicts, targeting=targeting,
            constrained={m: constrained_outcomes(c, config.deltas) for m, c in candidates.items()},
            unchanged={m: evaluate.unchanged_share(c) for m, c in candidates.items()},
            constrained_start_plogp=tuple(rewards.penalized_logp(s) for s in starts), constrained_source=source,
            constrained_dataset=cds, num_reference=len(ref), config=config,
        )
