"""Shared test settings: float64 comparisons with torch, hypothesis profiles."""
import os

import matplotlib
import torch
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

settings.register_profile(
    "course", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], derandomize=False
)
settings.load_profile("course")

ATOL = 1e-10  # float64 results of the same sums in a different order differ by ~1e-14
