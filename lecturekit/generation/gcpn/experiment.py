"""One seed of notebook 06: data, behaviour cloning, PPO for QED and penalized logP, the pretrained-only
baseline, property targeting and constrained optimisation.

``config = PROFILES.get()`` gives the :class:`GCPNExperiment` of the active profile;
``run_seed(config, seed)`` runs everything for one seed and returns a :class:`GCPNResult`, whose
``rows()`` are what the notebook records (``record_runs("06_gcpn", results)``). Every row says
``comparable=False``: we train on MOSES molecules (or RDKit's NCI sample) with a laptop budget,
the paper on ZINC250k for hours; the paper's number is kept for orientation.

Checkpoints (behaviour cloning and every PPO run) live under
``build/checkpoints/<config.checkpoint_dir>/seed<seed>/`` and resume only the identical run (see
:mod:`lecturekit.generation.gcpn.train`); ``checkpoint_dir=None`` trains without them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from rdkit import Chem

from lecturekit.generation.gcpn import data, evaluate, rewards
from lecturekit.generation.gcpn.env import EnvConfig
from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
from lecturekit.generation.gcpn.ppo import Episodes, expert_episodes
from lecturekit.generation.gcpn.train import TrainConfig, Trainer, finetune, pretrain_or_load, sample
from lecturekit.paths import build_dir
from lecturekit.results import Row
from lecturekit.seed import derive_seed, numpy_stream, seeded
from lecturekit.studies.contract import Profiles, RunResult

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


@dataclass(frozen=True)
class GCPNExperiment:
    """Sizes of notebook 06; the defaults are the ``course`` profile (estimated 8-9 minutes on one CPU thread:
    with the paper's filters a PPO iteration takes about 4.5 s, so RL gets about 70 iterations in all)."""

    train_molecules: int = 2000  # first MOSES training molecules: expert data (novelty: the whole split)
    test_molecules: int | None = 1000  # first MOSES test molecules searched for the lowest-pLogP starts; None: all
    expert_molecules: int = 2000  # molecules whose trajectories behaviour cloning imitates
    max_atoms: int = 38  # the paper's limit (largest ZINC250k molecule)
    max_steps: int = 60  # actions per episode; enough to rebuild every kept MOSES molecule
    hidden: int = 32  # paper 64; halved for a laptop
    mlp_hidden: int = 64
    layers: int = 3  # paper: 3 graph convolution layers
    bc_steps: int = 1200  # behaviour cloning steps (~0.08 s each): the pretrained policy already samples drug-like molecules
    bc_batch: int = 128
    bc_lr: float = 2e-3
    num_envs: int = 16  # episodes per PPO iteration
    ppo_epochs: int = 3
    minibatch: int = 128
    lr: float = 1e-3  # paper's learning rate
    qed_scale: float = 5.0  # QED lies in [0, 1]; scaled up so it outweighs step and adversarial rewards
    qed_iterations: int = 10  # per method (three); far too few for RL to beat the pretrained policy (see full)
    plogp_iterations: int = 6
    min_actions: int = 20  # the reference code's min_action: a stop is not honoured before 20 actions
    paper_terms: bool = True  # the paper's terminal validity reward and strain / ZINC filter penalties
    target_form: str = "reference"  # targeting reward: the reference's peak, or "exp" (ablation)
    mask_iterations: int = 6  # QED run without the valence mask: does the step penalty teach validity?
    target_iterations: int = 3  # per targeting window
    eval_samples: int = 256  # final samples per run (top-k pool, validity, mean QED)
    filter_samples: int = 16  # final samples per run checked by the filters (3D embedding: ~0.2 s each)
    target_samples: int = 256  # samples per targeting window
    constrained_molecules: int = 100  # lowest-penalized-logP test molecules used as starts (paper: 800)
    constrained_starts_file: str | None = None  # user-supplied starts (e.g. the paper's 800 ZINC molecules)
    constrained_samples: int = 4  # candidates per start
    constrained_steps: int = 20  # at most the reference code's 20 actions added to a start molecule
    constrained_iterations: int = 4
    deltas: tuple[float, ...] = tuple(PAPER_CONSTRAINED)  # the paper's similarity thresholds
    windows: tuple[str, ...] = tuple(PAPER_TARGETING)  # the paper's targeting windows
    seeds: tuple[int, ...] = (0,)  # one seed in the notebook (10-minute budget); `python -m experiments.seeds gcpn --seeds 0-2` runs three
    checkpoint_dir: str | None = "06_gcpn/course"  # under build/checkpoints; None: no checkpoints
    overwrite_checkpoints: bool = False  # True: retrain runs whose checkpoint belongs to another run

    def env(self, vocab: tuple[data.AtomType, ...]) -> EnvConfig:
        """The environment of behaviour cloning (no minimum number of actions)."""
        return EnvConfig(vocab=vocab, max_atoms=self.max_atoms, max_steps=self.max_steps)

    def rl_env(self, vocab: tuple[data.AtomType, ...]) -> EnvConfig:
        """The environment of de novo RL: the reference code's minimum number of actions."""
        return replace(self.env(vocab), min_steps=self.min_actions)

    def policy(self) -> PolicyConfig:
        return PolicyConfig(hidden=self.hidden, mlp_hidden=self.mlp_hidden, layers=self.layers)

    def train(self, iterations: int, adversarial: bool, seed: int, shaping: bool = True) -> TrainConfig:
        return TrainConfig(iterations=iterations, num_envs=self.num_envs, ppo_epochs=self.ppo_epochs,
                           minibatch=self.minibatch, lr=self.lr, adversarial=adversarial, shaping=shaping,
                           seed=seed)


COURSE = GCPNExperiment()
PROFILES = Profiles(
    quick=replace(
        COURSE, train_molecules=200, test_molecules=100, expert_molecules=40, max_steps=40, hidden=16,
        mlp_hidden=32, layers=2, bc_steps=4, bc_batch=32, num_envs=4, ppo_epochs=1, qed_iterations=2,
        plogp_iterations=2, min_actions=4, mask_iterations=2, target_iterations=1, eval_samples=8,
        filter_samples=4, target_samples=8, constrained_molecules=4, constrained_samples=2,
        constrained_steps=4, constrained_iterations=1, checkpoint_dir="06_gcpn/quick",
    ),
    course=COURSE,
    full=replace(  # paper-sized network and budgets (hours)
        COURSE, train_molecules=250000, test_molecules=None, expert_molecules=50000, max_steps=128, hidden=64,
        mlp_hidden=128, bc_steps=20000, bc_batch=256, num_envs=64, ppo_epochs=4, minibatch=256,
        qed_iterations=1000, plogp_iterations=1000, mask_iterations=200, target_iterations=300,
        eval_samples=4096, filter_samples=4096, target_samples=1024, constrained_molecules=800,
        constrained_samples=16, constrained_iterations=300, checkpoint_dir="06_gcpn/full",
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
    """MOSES (first ``train_molecules`` / ``test_molecules`` buildable molecules in file order); RDKit's NCI
    sample split 80/20 when the ``molsets`` package is missing. Skipped inputs are counted in each set."""
    try:
        train = data.load_moses("train", limit=config.train_molecules, max_atoms=config.max_atoms)
        test = data.load_moses("test", limit=config.test_molecules, max_atoms=config.max_atoms)
        return Molecules(train, test, "moses", data.MOSES_VOCAB, data.moses_reference("train"))
    except FileNotFoundError:
        nci = data.load_nci(max_atoms=config.max_atoms)
        cut = int(0.8 * len(nci))
        return Molecules(data.MoleculeSet(nci.smiles[:cut], "nci", nci.skipped),
                         data.MoleculeSet(nci.smiles[cut:], "nci"), "nci", data.ZINC_VOCAB,
                         frozenset(nci.smiles[:cut]))


# ----------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SampleSummary:
    """What a set of generated molecules looks like (invalid ones count against validity only)."""

    n: int
    validity: float
    uniqueness: float
    novelty: float
    qed: tuple[float, ...]  # per valid sample
    sa: tuple[float, ...]  # per valid sample
    mean_atoms: float

    @property
    def mean_qed(self) -> float:
        return float(np.mean(self.qed)) if self.qed else 0.0

    @property
    def mean_sa(self) -> float:
        return float(np.mean(self.sa)) if self.sa else 0.0


def summarise(smiles: list[str], training: Iterable[str]) -> SampleSummary:
    gen = evaluate.generation_metrics(smiles, training)
    valid = [s for s in smiles if evaluate.is_valid(s)]
    atoms = [Chem.MolFromSmiles(s).GetNumAtoms() for s in valid]
    return SampleSummary(len(smiles), gen["validity"], gen["uniqueness"], gen["novelty"],
                         tuple(rewards.qed(s) for s in valid), tuple(rewards.sa_score(s) for s in valid),
                         float(np.mean(atoms)) if atoms else 0.0)


@dataclass(frozen=True)
class TargetingOutcome:
    success: float
    diversity: float
    pretrained_success: float
    hits: int


@dataclass(frozen=True)
class ConstrainedOutcome:
    improvement: float  # mean over the successful starts
    improvement_all: float  # mean over all starts, a failure counting 0 (the fair summary)
    improvement_std: float
    similarity: float
    success: float
    examples: tuple[tuple[str, str, float, float], ...]  # (start, best candidate, improvement, similarity)


@dataclass(frozen=True)
class GCPNResult(RunResult):
    """One seed of notebook 06. Keys of the per-run mappings are ``"<task>/<method>"``."""

    dataset: str
    train_summary: str  # kept / skipped counts of the training molecules
    test_summary: str
    num_train: int
    expert_pairs: int
    bc_losses: tuple[float, ...]
    untrained: SampleSummary
    pretrained: SampleSummary  # eval_samples molecules of the pretrained policy, no RL
    histories: Mapping[str, tuple[Mapping[str, float], ...]]  # PPO log per run
    final: Mapping[str, SampleSummary]  # eval_samples final molecules per RL run
    tops: Mapping[str, tuple[tuple[str, float], ...]]  # best distinct molecules per task/method
    pool_sizes: Mapping[str, int]  # how many molecules each top-k was chosen from
    generation: Mapping[str, Mapping[str, float]]  # validity/uniqueness/novelty per method (QED + pLogP samples)
    train_qed: tuple[float, ...]
    train_plogp: tuple[float, ...]
    train_sa: tuple[float, ...]  # first 1,000 training molecules
    targeting: Mapping[str, TargetingOutcome]
    constrained: Mapping[float, ConstrainedOutcome]
    constrained_start_plogp: tuple[float, ...]
    constrained_source: str  # where the starts came from (test split or a user file) and how many
    filter_pass: Mapping[str, float]  # per method: fraction of final samples passing both filters
    verdicts: Mapping[str, tuple[bool, bool]]  # (strain ok, ZINC ok) of every top molecule
    mask_histories: Mapping[str, tuple[Mapping[str, float], ...]]  # QED run with / without the valence mask
    num_reference: int  # training molecules novelty is measured against
    config: GCPNExperiment

    def rows(self) -> list[Row]:
        c, ds = self.config, self.dataset
        where = f"{ds} molecules ({self.num_train} training), not the paper's ZINC250k; far smaller budget"
        rows: list[Row] = []
        for task in TASKS:
            iterations = c.qed_iterations if task == "qed" else c.plogp_iterations
            for method in METHODS:
                for k, (_, value) in enumerate(self.tops[f"{task}/{method}"], start=1):
                    rows.append(Row(ds, method, f"{task}-top{k}", value, PAPER_TOP[task][k - 1] if method == "gcpn"
                                    else None, note=f"best distinct molecules of {iterations} PPO iterations x "
                                    f"{c.num_envs} episodes plus {c.eval_samples} final samples; {where}"))
            for k, (_, value) in enumerate(self.tops[f"{task}/pretrained"], start=1):
                rows.append(Row(ds, "pretrained", f"{task}-top{k}", value,
                                note=f"expert-pretrained policy without RL, best of {self.pool_sizes[f'{task}/pretrained']} "
                                f"samples (as many as the GCPN {task} agent generated); {where}"))
            for k, (_, value) in enumerate(self.tops[f"{task}/dataset-best"], start=1):
                rows.append(Row(ds, "dataset-best", f"{task}-top{k}", value,
                                PAPER_DATASET_BEST[task] if k == 1 else None,
                                note=f"best of the {self.num_train} {ds} training molecules (paper: all of ZINC250k)"))
        for method, gen in self.generation.items():
            for metric, value in gen.items():
                rows.append(Row(ds, method, metric, value, 1.0 if metric == "validity" and method == "gcpn" else None,
                                note=f"{2 * c.eval_samples} final samples of the QED and pLogP agents; novelty "
                                f"against the whole {ds} training split ({self.num_reference} molecules); {where}"))
        for method, value in self.filter_pass.items():
            rows.append(Row(ds, method, "filter-pass", value,
                            note=f"fraction of {c.filter_samples} final samples of each of the QED and pLogP agents "
                            "passing the steric-strain (MMFF angle bend) and RDKit ZINC substructure filters; "
                            f"{where}"))
        for method in METHODS:
            rows.append(Row(ds, method, "qed-mean", self.final[f"qed/{method}"].mean_qed,
                            note=f"mean QED of {c.eval_samples} final samples of the QED agent; {where}"))
        rows.append(Row(ds, "pretrained", "qed-mean", self.pretrained.mean_qed,
                        note=f"mean QED of {c.eval_samples} samples of the pretrained policy, no RL; {where}"))
        for window, out in self.targeting.items():
            p_success, p_diversity = PAPER_TARGETING[window]
            note = (f"{c.target_samples} samples after {c.target_iterations} PPO iterations with the {c.target_form} "
                    f"targeting reward (exact mass for MW); {where}")
            rows.append(Row(ds, "gcpn", f"success/{window}", out.success, p_success, note=note))
            rows.append(Row(ds, "gcpn", f"diversity/{window}", out.diversity, p_diversity,
                            note=f"mean pairwise Tanimoto distance over all hits (success x {c.target_samples} "
                            f"molecules); {note}"))  # the count varies by seed: a note must not
            rows.append(Row(ds, "pretrained", f"success/{window}", out.pretrained_success,
                            note=f"{c.target_samples} samples of the pretrained policy, no RL; {where}"))
        note = (f"{self.constrained_source} (paper: the 800 lowest-pLogP ZINC250k test molecules), "
                f"{c.constrained_samples} candidates of at most {c.constrained_steps} added actions each; 2048-bit "
                "Morgan radius-2 Tanimoto similarity")
        for delta, out in self.constrained.items():
            p_improvement, p_similarity = PAPER_CONSTRAINED[delta]
            rows.append(Row(ds, "gcpn", f"improvement-all/delta={delta}", out.improvement_all, p_improvement,
                            note=f"mean over all starts, a failed start counting 0 (as the paper); {note}"))
            rows.append(Row(ds, "gcpn", f"improvement/delta={delta}", out.improvement,
                            note=f"mean over successful starts only (flatters a low success rate); {note}"))
            rows.append(Row(ds, "gcpn", f"similarity/delta={delta}", out.similarity, p_similarity,
                            note=f"mean over successful starts; {note}"))
            rows.append(Row(ds, "gcpn", f"success/delta={delta}", out.success, 1.0, note=note))
        return rows


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
    """``(untrained, pretrained, losses)``: a policy initialised from the run's seed and its
    behaviour-cloned copy (cached under the run's checkpoints)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "policy-init"))
        untrained = GCPNPolicy(env, config.policy())
    policy = copy.deepcopy(untrained)
    losses = pretrain_or_load(policy, expert, config.bc_steps, config.bc_batch, config.bc_lr,
                              seed=derive_seed(seed, "behaviour-cloning"),
                              checkpoint=checkpoint_path(config, seed, "pretrained"),
                              overwrite=config.overwrite_checkpoints, progress=progress)
    return untrained, policy, losses


def run_seed(config: GCPNExperiment, seed: int, progress: bool = True) -> GCPNResult:
    """Notebook 06 for one seed: every number it records and everything it plots."""
    start_time = time.perf_counter()
    with seeded(seed):
        mols = load_molecules(config)
        train = mols.train.smiles
        env = config.env(mols.vocab)
        rl_env = config.rl_env(mols.vocab)
        expert = expert_episodes(train[: config.expert_molecules], env, numpy_stream(seed, "expert"))
        untrained, policy, bc_losses = pretrained_policy(config, seed, env, expert, progress)
        rl_policy = with_env(policy, rl_env)  # same weights, acting under the minimum number of actions

        def reward(task: str, scale: float = 1.0) -> rewards.TaskReward:
            return rewards.TaskReward(task, scale=scale, paper_terms=config.paper_terms, target_form=config.target_form)

        def rl(name: str, task: str, adversarial: bool, iterations: int, start_policy: GCPNPolicy,
               scale: float = 1.0, starts: list[str] | None = None, shaping: bool = True) -> Trainer:
            return finetune(start_policy, expert, reward(task, scale),
                            config.train(iterations, adversarial, derive_seed(seed, f"ppo/{name}"), shaping),
                            starts=starts, checkpoint=checkpoint_path(config, seed, name),
                            overwrite=config.overwrite_checkpoints, progress=progress)

        def draw(p: GCPNPolicy, n: int, stream: str, starts: list[str] | None = None) -> list[str]:
            return sample(p, n, seed=derive_seed(seed, f"sample/{stream}"), starts=starts)

        # Behaviour cloning: the untrained and the pretrained policy, same number of samples, both in the
        # RL environment (so the pretrained samples are also the no-RL baseline of the RL runs).
        untrained_summary = summarise(draw(with_env(untrained, rl_env), config.eval_samples, "untrained"),
                                      mols.novelty_reference)
        pretrained_summary = summarise(draw(rl_policy, config.eval_samples, "pretrained"), mols.novelty_reference)

        # Property optimisation: GCPN and its ablations (no adversarial reward, no reward shaping).
        runs: dict[str, Trainer] = {}
        for method, (adversarial, shaping) in METHODS.items():
            runs[f"qed/{method}"] = rl(f"qed-{method}", "qed", adversarial, config.qed_iterations, rl_policy,
                                       scale=config.qed_scale, shaping=shaping)
            runs[f"plogp/{method}"] = rl(f"plogp-{method}", "plogp", adversarial, config.plogp_iterations, rl_policy,
                                         shaping=shaping)
        final_smiles = {key: draw(trainer.policy, config.eval_samples, f"final/{key}") for key, trainer in runs.items()}

        # Does the step penalty teach validity? The QED run once more, the valence mask off.
        unmasked = rl("qed-gcpn-no-mask", "qed", True, config.mask_iterations,
                      with_env(policy, replace(rl_env, mask_valence=False)), scale=config.qed_scale)
        masked = runs["qed/gcpn"].history[: config.mask_iterations]
        mask_histories = {"masked": tuple(dict(r) for r in masked), "unmasked": tuple(dict(r) for r in unmasked.history)}

        tops: dict[str, tuple[tuple[str, float], ...]] = {}
        pool_sizes: dict[str, int] = {}
        for key, trainer in runs.items():
            # Following the paper: the best distinct molecules generated during training and in the final samples.
            pool = list(trainer.seen) + final_smiles[key]
            tops[key] = tuple(evaluate.top_k(pool, SCORES[key.split("/")[0]], k=3))
            pool_sizes[key] = config.num_envs * trainer.iteration + config.eval_samples
        # Is it the RL or the pretraining? The pretrained policy without RL, in the same environment,
        # as many molecules as the GCPN agent of each task generated.
        budgets = {"qed": config.num_envs * config.qed_iterations + config.eval_samples,
                   "plogp": config.num_envs * config.plogp_iterations + config.eval_samples}
        pretrained_pool = draw(rl_policy, max(budgets.values()), "pretrained-pool")
        train_scores = {"qed": [rewards.qed(s) for s in train], "plogp": [rewards.penalized_logp(s) for s in train]}
        for task in TASKS:
            tops[f"{task}/pretrained"] = tuple(evaluate.top_k(pretrained_pool[: budgets[task]], SCORES[task], k=3))
            pool_sizes[f"{task}/pretrained"] = budgets[task]
            best = np.argsort(-np.asarray(train_scores[task]), kind="stable")[:3]
            tops[f"{task}/dataset-best"] = tuple((train[i], float(train_scores[task][i])) for i in best)
            pool_sizes[f"{task}/dataset-best"] = len(train)
        generation = {method: evaluate.generation_metrics(final_smiles[f"qed/{method}"] + final_smiles[f"plogp/{method}"],
                                                          mols.novelty_reference) for method in METHODS}

        # The paper's filters on the final samples and on every top molecule (verdicts cached per SMILES).
        verdict_cache: dict[str, tuple[bool, bool]] = {}
        filter_pass = {
            method: evaluate.filter_pass(final_smiles[f"qed/{method}"][: config.filter_samples]
                                         + final_smiles[f"plogp/{method}"][: config.filter_samples], verdict_cache)
            for method in METHODS}
        filter_pass["pretrained"] = evaluate.filter_pass(pretrained_pool[: 2 * config.filter_samples], verdict_cache)
        verdicts = {smi: evaluate.filter_verdicts(smi, verdict_cache) for top in tops.values() for smi, _ in top}

        # Property targeting: one adversarial agent per window; the pretrained samples are the baseline.
        targeting = {}
        for window in config.windows:
            trainer = rl(f"target-{window}", window, True, config.target_iterations, rl_policy)
            res = evaluate.targeting_metrics(draw(trainer.policy, config.target_samples, f"target/{window}"), window)
            base = evaluate.targeting_metrics(pretrained_pool[: config.target_samples], window)
            hits = round(res["success"] * config.target_samples)
            targeting[window] = TargetingOutcome(res["success"], res["diversity"], base["success"], hits)

        # Constrained optimisation: extend the lowest-pLogP starts for at most constrained_steps actions.
        if config.constrained_starts_file is not None:
            pool_set = data.load_smiles_file(config.constrained_starts_file, mols.vocab, config.max_atoms)
        else:
            pool_set = mols.test
        pool_plogp = np.array([rewards.penalized_logp(s) for s in pool_set.smiles])
        order = np.argsort(pool_plogp, kind="stable")[: config.constrained_molecules]
        starts = [pool_set.smiles[i] for i in order]
        source = f"the {len(starts)} lowest-pLogP of {len(pool_set)} molecules of {pool_set.source}"
        constrained_env = replace(env, max_steps=config.constrained_steps)
        constrained = rl("plogp-gcpn-constrained", "plogp", True, config.constrained_iterations,
                         with_env(runs["plogp/gcpn"].policy, constrained_env), starts=starts)
        candidates = evaluate.constrained_candidates(constrained.policy, starts, config.constrained_samples,
                                                     config.constrained_steps,
                                                     seed=derive_seed(seed, "sample/constrained"))
        outcome = {delta: ConstrainedOutcome(r["improvement"], r["improvement_all"], r["improvement_std"],
                                             r["similarity"], r["success"], r["examples"])
                   for delta, r in evaluate.constrained_metrics(candidates, list(config.deltas)).items()}

        return GCPNResult(
            seed=seed, seconds=time.perf_counter() - start_time, dataset=mols.dataset,
            train_summary=mols.train.summary(), test_summary=mols.test.summary(), num_train=len(train),
            expert_pairs=len(expert), bc_losses=tuple(bc_losses), untrained=untrained_summary,
            pretrained=pretrained_summary,
            histories={key: tuple(dict(row) for row in trainer.history) for key, trainer in runs.items()},
            final={key: summarise(smiles, mols.novelty_reference) for key, smiles in final_smiles.items()},
            tops=tops, pool_sizes=pool_sizes, generation=generation,
            train_qed=tuple(train_scores["qed"]), train_plogp=tuple(train_scores["plogp"]),
            train_sa=tuple(rewards.sa_score(s) for s in train[:1000]),
            targeting=targeting, constrained=outcome,
            constrained_start_plogp=tuple(float(pool_plogp[i]) for i in order), constrained_source=source,
            filter_pass=filter_pass, verdicts=verdicts, mask_histories=mask_histories,
            num_reference=len(mols.novelty_reference), config=config,
        )
