"""lecturekit: the tested package behind the GNN-applications course notebooks."""

from lecturekit.config import get_profile
from lecturekit.results import record
from lecturekit.seed import seed_everything

__all__ = ["get_profile", "record", "seed_everything"]
__version__ = "0.1.0"
