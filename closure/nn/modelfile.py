"""Model files: weights plus JSON metadata in one file, refused with a clear error when
foreign, of another kind or version, or corrupt.

Layout: a torch.save'd dict {'format', 'meta' (JSON text: kind, version, hyperparameters,
units, normalisation, data hash, training record), 'state' (state_dict), 'sha256' (of the
state's tensors)}.  Written to a temporary file and renamed into place.
"""

import hashlib
import json

import torch

from boltzmann.errors import FileFormatError
from boltzmann.io import atomic_file

FORMAT = "mlclosure.model"
VERSION = 1


def weights_digest(state) -> str:
    sha = hashlib.sha256()
    for k in sorted(state):
        sha.update(k.encode())
        sha.update(state[k].detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


def save_model(path, model, meta: dict):
    """Write model.state_dict() and meta (must hold 'kind') to path atomically."""
    if "kind" not in meta:
        raise ValueError("model metadata needs a 'kind'")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    blob = {"format": FORMAT, "meta": json.dumps({**meta, "version": VERSION}),
            "state": state, "sha256": weights_digest(state)}
    return atomic_file(path, lambda tmp: torch.save(blob, tmp), ".pt")


def load_model(path, kind: str):
    """(meta, state) of a model file of this kind; FileFormatError says what is wrong."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such model file") from None
    except Exception as exc:  # torch raises several types for a damaged archive
        raise FileFormatError(f"{path}: unreadable or corrupt model file ({exc})") from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise FileFormatError(f"{path}: not an {FORMAT} file")
    meta = json.loads(blob["meta"])
    if meta.get("kind") != kind:
        raise FileFormatError(f"{path}: a {meta.get('kind')!r} model, not {kind!r}")
    if meta.get("version") != VERSION:
        raise FileFormatError(f"{path}: model file version {meta.get('version')} != {VERSION}")
    if weights_digest(blob["state"]) != blob["sha256"]:
        raise FileFormatError(f"{path}: weights do not match their checksum (corrupt file)")
    return meta, blob["state"]
