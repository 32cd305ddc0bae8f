"""Neural networks of the learned closure (PyTorch): learned moments, closure network,
ensemble, training, model files, and the closure as one object (`LearnedClosure`)."""

from .closure_net import ClosureNet, closure_targets
from .ensemble import ClosureEnsemble, EnvelopeWarning
from .learned import LearnedClosure
from .modelfile import load_model, save_model
from .moments import MomentAutoencoder, hermite_moments, hermite_reconstruct
from .train import fit_autoencoder, fit_closure, reconstruction_errors

__all__ = ["ClosureEnsemble", "EnvelopeWarning", "LearnedClosure", "ClosureNet", "closure_targets",
           "fit_closure", "MomentAutoencoder", "hermite_moments", "hermite_reconstruct",
           "fit_autoencoder", "reconstruction_errors", "save_model", "load_model"]
