"""Executors for the EELT labeling step, one call for each way to run it:

    local_executor("serial")              no executor: label in this process
    local_executor("process", workers=2)  a concurrent.futures process pool on this machine
    local_executor("dask", workers=2)     Dask distributed on a LocalCluster of processes
    local_executor("dask", address="tcp://scheduler:8786")   an existing Dask cluster

Each is a context manager that yields a `concurrent.futures.Executor` (or None for serial)
and shuts its workers down on exit.  The labeler and the candidates travel by pickle, so
they must be importable on the workers.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

EXECUTORS = ("serial", "process", "dask")


@contextmanager
def local_executor(kind="process", workers=2, address=None):
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; choose one of {EXECUTORS}")
    if address is not None and kind != "dask":
        raise ValueError("a scheduler address needs the dask executor")
    if kind == "serial":
        yield None
    elif kind == "process":
        # spawn, not fork: the parent has MPI (LAMMPS), OpenMP (PySCF) and torch threads
        # running by now, which a forked child inherits in an undefined state
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
    else:
        from dask.distributed import Client, LocalCluster

        if address is not None:
            with Client(address) as client:
                yield client.get_executor()
        else:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                yield client.get_executor()
