"""Run directories, run identity and atomic writes: the file contract between stages (see ``rundir``)."""

from valueshift.runs.atomic import (
    atomic_dir,
    atomic_path,
    json_safe,
    sweep_staging,
    write_json_atomic,
    write_parquet_atomic,
)
from valueshift.runs.claim import Claim
from valueshift.runs.identity import (
    SCHEMA_VERSION,
    canonical_json,
    config_hash,
    file_fingerprint,
    model_fingerprint,
    run_key,
    tree_fingerprint,
)
from valueshift.runs.rundir import (
    INVOCATION,
    MANIFEST,
    Lookup,
    RunDir,
    Status,
    adopt,
    check_writable,
    library_versions,
    lookup,
    read_manifest,
    run_input,
    running,
)

__all__ = [
    "INVOCATION",
    "MANIFEST",
    "SCHEMA_VERSION",
    "Claim",
    "Lookup",
    "RunDir",
    "Status",
    "adopt",
    "atomic_dir",
    "atomic_path",
    "canonical_json",
    "check_writable",
    "config_hash",
    "file_fingerprint",
    "json_safe",
    "library_versions",
    "lookup",
    "model_fingerprint",
    "read_manifest",
    "run_input",
    "run_key",
    "running",
    "sweep_staging",
    "tree_fingerprint",
    "write_json_atomic",
    "write_parquet_atomic",
]
