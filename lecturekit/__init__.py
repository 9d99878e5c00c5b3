"""lecturekit: the tested package behind the GNN-applications course notebooks."""

from lecturekit.config import get_profile, sizes
from lecturekit.results import record
from lecturekit.seed import seed_everything

__all__ = ["get_profile", "record", "seed_everything", "sizes"]
__version__ = "0.1.0"
