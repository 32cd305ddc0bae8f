"""Neural networks of the learned closure (PyTorch): learned moments, training, model files."""

from .modelfile import load_model, save_model
from .moments import MomentAutoencoder, hermite_moments, hermite_reconstruct
from .train import fit_autoencoder, reconstruction_errors

__all__ = ["MomentAutoencoder", "hermite_moments", "hermite_reconstruct", "fit_autoencoder",
           "reconstruction_errors", "save_model", "load_model"]
