"""What the concurrent-learning experiments share: their command line (--config, --out),
the TOML config read, and torch's thread count (the machine's two cores)."""

import argparse
import tomllib
from pathlib import Path


def setup(doc, here, argv=None):
    """(arguments, parsed config) of an experiment whose folder is `here`."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path(here) / "config.toml")
    ap.add_argument("--out", type=Path, default=Path(here) / "out")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    return args, tomllib.loads(args.config.read_text())
