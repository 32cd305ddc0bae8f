"""What the experiments share: their command line (--config, --out and on/off flags), the
TOML config read, and torch's thread count (the machine's two cores, or OMP_NUM_THREADS) for
those that train."""

import argparse
import os
import tomllib
from pathlib import Path


def setup(doc, here, argv=None, flags=(), torch_threads=True, config="config.toml",
          out="out"):
    """(arguments, parsed config) of an experiment whose folder is `here`; flags: names of
    store-true options (e.g. "no-sweep"); config, out: the default config file and output
    folder in `here`; the output folder is created."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path(here) / config)
    ap.add_argument("--out", type=Path, default=Path(here) / out)
    for flag in flags:
        ap.add_argument(f"--{flag}", action="store_true")
    args = ap.parse_args(argv)
    if torch_threads:
        import torch

        torch.set_num_threads(threads())
    args.out.mkdir(parents=True, exist_ok=True)
    return args, tomllib.loads(args.config.read_text())


def threads():
    """torch's thread count: OMP_NUM_THREADS when it is a positive integer, else 2 (the
    machine's cores)."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 2
