"""Feeding data to training: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``."""

from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]
