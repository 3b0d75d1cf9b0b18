"""MkDocs hook: stand-in pages for pages other branches will write.

``docs/distributed.md`` belongs to the distributed-training work. Until it is in the
checkout, the build generates a short page under the same name, so links to it and the
navigation entry resolve and the strict build passes; once the real file exists it
is used unchanged and this hook does nothing.
"""

from __future__ import annotations

PENDING = {
    "distributed.md": """# Distributed training

!!! note "This page arrives with the distributed-training work"
    Data-parallel training over MPI (`backprop.distributed`, the optional extra
    `backprop[mpi]`) is being written now; its own page replaces this one when it lands.

What exists already is the communicator interface that `fit` accepts as `comm=`:
see [Distributed runs](guide/distributed-runs.md).
""",
}


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    for src_uri, content in PENDING.items():
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, content=content))
    return files
