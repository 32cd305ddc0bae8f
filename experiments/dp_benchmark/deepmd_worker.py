"""Worker of experiments/dp_benchmark/run.py, run by the DeePMD-kit environment's python (not
the repo's): times `deepmd.infer.DeepPot.eval` of frozen models on the systems in an .npz file
and writes the timings as JSON.

    /work/deepmd-venv/bin/python deepmd_worker.py SYSTEMS.npz OUT.json MODEL.pb [MODEL.pb ...]

SYSTEMS.npz holds, per system k, pos_k (nat, 3), cell_k (3, 3), types_k (nat,), and
`repeats` (one count per system) and `warmup`.  Threads come from the environment
(OMP_NUM_THREADS, DP_INTRA_OP_PARALLELISM_THREADS, DP_INTER_OP_PARALLELISM_THREADS), set by
run.py.  Uses NumPy and DeePMD-kit only.
"""

import json
import sys
import time

import numpy as np


def weights_info(deep_eval):
    """Float type of the graph's outputs and weights, and the number of network parameters
    (embedding and fitting matrices and biases; not the resnet_dt 'idt' steps nor the
    descriptor statistics) and the neighbour slots sum(sel).  Only for the TensorFlow
    backend's graph; {} otherwise."""
    graph = getattr(deep_eval, "graph", None)
    if graph is None:
        return {}
    dtypes, nparam = set(), 0
    for op in graph.get_operations():
        if op.type != "Const":
            continue
        name = op.name.split("/")
        if len(name) < 3 or not name[1].startswith(("filter_type", "layer_", "final_layer")):
            continue
        if not name[-1].startswith(("matrix", "bias")):
            continue  # e.g. the 'idt' of resnet_dt
        t = op.outputs[0]
        dtypes.add(t.dtype.name)
        nparam += int(np.prod(t.shape.as_list())) if t.shape.rank else 1
    out_dtype = graph.get_tensor_by_name("load/o_energy:0").dtype.name
    avg = graph.get_tensor_by_name("load/descrpt_attr/t_avg:0")  # (ntypes, 4 * sum(sel))
    return {"weights_dtype": sorted(dtypes), "output_dtype": out_dtype, "nparam": nparam,
            "nsel": int(avg.shape[-1]) // 4}


def main():
    systems_file, out_file, *models = sys.argv[1:]
    import deepmd
    from deepmd.env import get_default_nthreads
    from deepmd.infer import DeepPot

    data = np.load(systems_file)
    nsys = len(data["repeats"])
    warmup = int(data["warmup"])
    result = {"deepmd_version": deepmd.__version__, "nthreads_intra_inter":
              list(get_default_nthreads()), "models": {}}
    try:
        import tensorflow as tf
        result["tensorflow_version"] = tf.__version__
    except ImportError:
        pass
    for model in models:
        dp = DeepPot(model)
        info = {"type_map": dp.get_type_map(), "rcut": dp.get_rcut(), "times": []}
        info.update(weights_info(dp.deep_eval))
        for k in range(nsys):
            pos, cell, types = data[f"pos_{k}"], data[f"cell_{k}"], data[f"types_{k}"]
            coords, cells = pos.reshape(1, -1), cell.reshape(1, -1)
            atypes = types.tolist()
            for _ in range(warmup):
                e, f, v = dp.eval(coords, cells, atypes)
            times = []
            for _ in range(int(data["repeats"][k])):
                t0 = time.perf_counter()
                e, f, v = dp.eval(coords, cells, atypes)
                times.append(time.perf_counter() - t0)
            assert f.shape == (1, len(types), 3) and np.isfinite(e).all()
            info["times"].append({"natoms": len(types), "median_s": float(np.median(times)),
                                  "min_s": float(np.min(times)), "energy": float(e.ravel()[0]),
                                  "repeats": len(times)})
        result["models"][model] = info
    with open(out_file, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
