#!/usr/bin/env bash
# Recreate, from nothing, what experiments/dp_benchmark/run.py compares against:
#   1. a separate virtual environment with DeePMD-kit's TensorFlow CPU build
#      (deepmd-kit[cpu] pins tensorflow-cpu; no CUDA wheels are pulled);
#   2. a tiny deepmd/npy data set: 10 rattled frames of fcc Cu (3x3x3 cubic cells,
#      a = 3.615 Angstrom, 108 atoms) labelled by ASE's EMT (ase from the repo's .venv);
#   3. a se_e2_a model with the DeePMD-kit example network sizes (rcut 6.0, rcut_smth 0.5,
#      embedding [25, 50, 100], axis_neuron 16, fitting [240, 240, 240] with resnet_dt,
#      sel [138]), trained for 10 steps only (weights do not matter for speed), frozen to
#      frozen_model.pb and also compressed (dp compress, the tabulated embedding used in
#      production) to frozen_model_compressed.pb.
#
# Usage: bash experiments/dp_benchmark/setup_deepmd.sh
# Locations can be changed with DEEPMD_VENV and DEEPMD_SCRATCH (run.py reads the same).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${DEEPMD_VENV:-/work/deepmd-venv}"
SCRATCH="${DEEPMD_SCRATCH:-/work/deepmd-scratch}"
REPO_PY="$REPO/.venv/bin/python"

export OMP_NUM_THREADS=2 DP_INTRA_OP_PARALLELISM_THREADS=2 DP_INTER_OP_PARALLELISM_THREADS=1
export TF_CPP_MIN_LOG_LEVEL=2

# 1. the environment (python3 must be 3.9-3.13 for tensorflow-cpu 2.21)
if [ ! -x "$VENV/bin/dp" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --upgrade pip
    "$VENV/bin/pip" install "deepmd-kit[cpu]"
fi
"$VENV/bin/pip" list 2>/dev/null | grep -i -E '^(deepmd-kit|tensorflow|numpy) '

# 2. the data set
mkdir -p "$SCRATCH"
cd "$SCRATCH"
"$REPO_PY" - <<'EOF'
import os

import numpy as np
from ase.build import bulk
from ase.calculators.emt import EMT

rng = np.random.default_rng(0)
atoms0 = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((3, 3, 3))
coords, boxes, energies, forces = [], [], [], []
for _ in range(10):
    atoms = atoms0.copy()
    atoms.positions += rng.normal(0.0, 0.05, atoms.positions.shape)
    atoms.calc = EMT()
    energies.append(atoms.get_potential_energy())
    forces.append(atoms.get_forces().ravel())
    coords.append(atoms.positions.ravel())
    boxes.append(atoms.cell.array.ravel())
os.makedirs("data/set.000", exist_ok=True)
np.savetxt("data/type.raw", np.zeros(len(atoms0), dtype=int), fmt="%d")
with open("data/type_map.raw", "w") as f:
    f.write("Cu\n")
for name, arr in [("coord", coords), ("box", boxes), ("energy", energies), ("force", forces)]:
    np.save(f"data/set.000/{name}.npy", np.array(arr))
print(f"data: {len(energies)} frames of {len(atoms0)} atoms, E/atom "
      f"{np.mean(energies) / len(atoms0):.4f} eV")
EOF

# 3. train 10 steps, freeze, compress
cat > input.json <<'EOF'
{
  "model": {
    "type_map": ["Cu"],
    "descriptor": {
      "type": "se_e2_a", "sel": [138], "rcut_smth": 0.5, "rcut": 6.0,
      "neuron": [25, 50, 100], "resnet_dt": false, "axis_neuron": 16, "seed": 1
    },
    "fitting_net": {"neuron": [240, 240, 240], "resnet_dt": true, "seed": 1}
  },
  "learning_rate": {"type": "exp", "decay_steps": 5000, "start_lr": 0.001, "stop_lr": 3.51e-8},
  "loss": {
    "type": "ener", "start_pref_e": 0.02, "limit_pref_e": 1, "start_pref_f": 1000,
    "limit_pref_f": 1, "start_pref_v": 0, "limit_pref_v": 0
  },
  "training": {
    "training_data": {"systems": ["data"], "batch_size": 1},
    "numb_steps": 10, "seed": 10, "disp_file": "lcurve.out", "disp_freq": 5, "save_freq": 10
  }
}
EOF
"$VENV/bin/dp" --tf train input.json
"$VENV/bin/dp" --tf freeze -o frozen_model.pb
"$VENV/bin/dp" --tf compress -i frozen_model.pb -o frozen_model_compressed.pb
ls -l "$SCRATCH"/frozen_model*.pb
