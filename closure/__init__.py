"""closure: moment systems, learned closures and the concurrent-learning (EELT) engine.

Depends on `boltzmann` (gas model, units, problems, kinetic labels); the reverse never holds.
The moment systems, networks and engine arrive with their issues; see docs/architecture.md.
"""

__version__ = "0.1.0"
